using System.CommandLine;
using Spectre.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Server;
using Skillmaker.Serving;
using Skillmaker.Skills;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker serve</c>: the inference API (when a cascade is configured) and the crowd and
/// review pages over HTTP until Ctrl-C.</summary>
public static class ServeCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen (default http://127.0.0.1:5080; put a TLS proxy in front for outside clients)", HelpName = "URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var cascade = new Option<string?>("--cascade") { Description = $"Serving config with the skill cascade (default: .skillmaker/{ServingConfig.DefaultFileName} when it exists; without one only the pages are served)", HelpName = "FILE" };
        var command = new Command("serve", "Serve the inference API (POST /v1/classify), the crowd task and expert review pages") { urls, cascade };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var services = await WorkspaceServices.OpenAsync(run, ct);
            var inference = PrepareInference(run, services, parse.GetValue(cascade));
            // In server mode admins see the job queue's dashboard at /jobs.
            var jobs = services.Workspace.Config.Jobs is { ServerMode: true } settings
                ? (await Workers.HangfireJobs.OpenAsync(settings.Storage!, settings, connectAttempts: 5, onRetry: null, ct)).Storage
                : null;
            await using var app = await StartAsync(run, services, parse.GetValue(urls)!, inference, ct, jobs);
            var addresses = Addresses(app);
            var served = ServedVersions(app);
            if (run.IsJson) run.WriteJson(new { listening = addresses, workspace = services.Workspace.Root, skills = served, codeVersion = BuildInfo.CodeVersion, jobsDashboard = jobs is null ? null : JobsDashboard.Path });
            else
            {
                run.Console.WriteLine($"Skillmaker serves {services.Workspace.Root} on {string.Join(", ", addresses)}; Ctrl-C stops.");
                run.Console.WriteLine(served is null
                    ? $"No cascade configured (.skillmaker/{ServingConfig.DefaultFileName} or --cascade): the inference API is off."
                    : $"Inference API: POST /v1/classify with {string.Join(", ", served.Select(s => $"{s.Key}@{s.Value}"))} (production), code {BuildInfo.CodeVersion}.");
                if (jobs is not null) run.Console.WriteLine($"Job dashboard for admins at {JobsDashboard.Path}.");
            }
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, run.Time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The server over the workspace, started and listening on <paramref name="urls"/> (port 0
    /// picks a free port; see <see cref="Addresses"/>). Disposing it stops it.</summary>
    internal static async Task<WebApplication> StartAsync(CommandRun run, WorkspaceServices services, string urls, InferenceSetup? inference, CancellationToken ct, Hangfire.JobStorage? jobs = null)
    {
        var app = await SkillmakerServer.BuildAsync(services.Workspace, services.Catalog, services.Blobs,
            new ServerOptions { Urls = urls, Inference = inference, Jobs = jobs }, run.Time, ct);
        try
        {
            await app.StartAsync(ct);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Where a started server listens, e.g. http://127.0.0.1:41234.</summary>
    internal static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>Skill versions the inference API serves now; null when it is off (no cascade).</summary>
    internal static IReadOnlyDictionary<string, int>? ServedVersions(WebApplication app) => app.Services.GetService<LiveSkills>()?.Versions;

    /// <summary>The cascade, the workspace's detector (with <paramref name="detector"/> overrides) and its
    /// skill store; null when no cascade is configured.</summary>
    internal static InferenceSetup? PrepareInference(CommandRun run, WorkspaceServices services, string? cascadePath, DetectCommand.Overrides? detector = null)
    {
        var workspace = services.Workspace;
        var path = cascadePath is { } p ? run.ResolvePath(p) : Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName);
        if (cascadePath is null && !File.Exists(path)) return null;
        var config = ServingConfig.Load(path);
        var (settings, yolo) = DetectCommand.Prepare(run, workspace, detector ?? DetectCommand.Overrides.None);
        var store = services.CreateTraining(run).Skills;
        return new InferenceSetup(config, yolo, settings, new PackageSkillLoader((skill, version, ct) => store.FindAsync(new SkillRef(skill, version), ct)));
    }
}
