using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Promotion;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker deploy kubernetes</c>: Kubernetes manifests for a server-mode workspace's workers and server.</summary>
public static class DeployCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var output = new Option<string?>("--output", "-o") { Description = $"File to write (default: deploy/{KubernetesManifests.FileName} of the workspace, beside the compose file; - for stdout)", HelpName = "FILE" };
        var image = new Option<string?>("--image") { Description = "Image with the command line published to /app (default skillmaker/skillmaker:latest)", HelpName = "IMAGE" };
        var workers = new Option<int?>("--workers") { Description = "Worker pods (default 2)", HelpName = "N" };
        var threads = new Option<int?>("--threads") { Description = "Threads each job uses in a worker pod, also its CPU request (default 2)", HelpName = "N" };
        var secret = new Option<string?>("--credentials-secret") { Description = "Name of the Secret with PGPASSWORD, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, created with kubectl (default skillmaker-credentials)", HelpName = "NAME" };
        var k8s = new Command("kubernetes", "Write Kubernetes manifests for this server-mode workspace: worker Deployment, server Deployment and Service, ConfigMaps (no secrets)")
        {
            output, image, workers, threads, secret,
        };
        k8s.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var workspace = await run.OpenWorkspaceAsync(ct);
            var defaults = new KubernetesSettings();
            var settings = new KubernetesSettings
            {
                Image = parse.GetValue(image) ?? defaults.Image,
                Workers = parse.GetValue(workers) ?? defaults.Workers,
                Threads = parse.GetValue(threads) ?? defaults.Threads,
                CredentialsSecret = parse.GetValue(secret) ?? defaults.CredentialsSecret,
            };
            var yaml = KubernetesManifests.Generate(workspace, settings);
            if (parse.GetValue(output) == "-")
            {
                run.Host.Out.Write(yaml);
                return ExitCodes.Ok;
            }
            var path = parse.GetValue(output) is { } o ? run.ResolvePath(o) : Path.Combine(workspace.Root, "deploy", KubernetesManifests.FileName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAllTextAsync(path, yaml, ct);
            if (run.IsJson) run.WriteJson(new { manifests = path, workers = settings.Workers, threads = settings.Threads, image = settings.Image, credentialsSecret = settings.CredentialsSecret });
            else run.Console.WriteLine($"Wrote {path}: {settings.Workers} worker pods, the server and its Service. Create the Secret {settings.CredentialsSecret} first (see the file's head), then: kubectl apply -f {path}");
            return ExitCodes.Ok;
        }));
        return new Command("deploy", "Deployment files for running the workspace elsewhere (Kubernetes)") { k8s };
    }
}
