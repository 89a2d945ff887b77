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
        var names = new Argument<string[]>("NAME") { Description = "Skills whose deployment to write (default: every skill with a production version)", Arity = ArgumentArity.ZeroOrMore };
        var into = new Option<string?>("--out", "-o") { Description = "Folder to write into (default: deploy/ of the workspace, where promote writes)", HelpName = "DIR" };
        var fetch = new Command("fetch", "Server mode: write the deployment bundles promote published to the blob store (NAME/Dockerfile, NAME/workspace, compose file, CloudFormation template) into a folder, every file verified by its SHA-256")
        {
            names, into,
        };
        fetch.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var bundles = line.DeploymentBundles()
                ?? throw new UsageException($"deploy fetch needs a server-mode workspace whose deployments are published to a shared blob store (a PostgreSQL catalog); this one's catalog is {line.Catalog.Location}, and promote writes its deployment straight into deploy/ of the workspace.");
            var asked = parse.GetValue(names) ?? [];
            var directory = parse.GetValue(into) is { } o ? run.ResolvePath(o) : Path.Combine(line.Workspace.Root, "deploy");
            // The production version of each skill, to say when the published bundle is of another version.
            var production = new Dictionary<string, int?>(StringComparer.Ordinal);
            foreach (var name in asked.Length > 0 ? asked.Distinct(StringComparer.Ordinal) : await line.Training.Skills.NamesAsync(ct))
            {
                var version = await line.Registry.GetAliasAsync(name, Registry.Aliases.Production, ct);
                if (asked.Length > 0 || version is not null) production[name] = version;
            }
            if (production.Count == 0)
                throw new SkillmakerException($"No skill has a production version in the catalog at {line.Catalog.Location}, so there is no deployment to fetch; promote one first (skillmaker promote NAME@VERSION).");
            var skills = production.Keys.ToList();
            var fetched = await run.WithProgressAsync("Fetching deployments", async p =>
            {
                var done = await bundles.FetchAsync(skills, directory, required: asked.Length > 0, ct);
                p.Report((1, 1));
                return done;
            });
            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    directory,
                    deployments = fetched.Deployments.Select(d => new
                    {
                        skill = d.Manifest.Skill, version = d.Manifest.Version, publishedAt = d.Manifest.PublishedAt, manifestSha256 = d.ManifestSha256,
                        files = d.Manifest.Files.Count, bytes = d.Bytes, written = d.Written,
                    }),
                    unpublished = fetched.Unpublished.Select(s => new { skill = s, production = production[s] }),
                });
                return ExitCodes.Ok;
            }
            foreach (var d in fetched.Deployments)
            {
                var live = production.GetValueOrDefault(d.Manifest.Skill);
                var note = live is { } v && v != d.Manifest.Version ? $" (production is now v{v}: promote it again to publish its bundle)" : "";
                run.Console.WriteLine($"{d.Manifest.Skill} v{d.Manifest.Version}: {d.Manifest.Files.Count} files, {d.Bytes} bytes, published {d.Manifest.PublishedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}, verified{note}");
            }
            foreach (var s in fetched.Unpublished)
                run.ErrorConsole.WriteLine($"{s} v{production[s]} is production but no deployment of it was published; promote it again on a server-mode workspace to publish one.");
            run.Console.WriteLine($"Wrote {directory}; build an image with: docker build {Path.Combine(directory, "NAME")}");
            return ExitCodes.Ok;
        }));
        return new Command("deploy", "Deployment files for running the workspace elsewhere (Kubernetes; deployments promote published)") { k8s, fetch };
    }
}
