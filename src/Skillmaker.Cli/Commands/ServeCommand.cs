using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Server;
using Skillmaker.Serving;
using Skillmaker.Storage.Queue;

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
            await using var line = await run.OpenLineAsync(ct);
            var inference = await line.PrepareInferenceAsync(parse.GetValue(cascade) is { } c ? run.ResolvePath(c) : null, ct);
            // In server mode admins see the job queue's dashboard at /jobs.
            var jobs = line.Workspace.Config.Jobs is { ServerMode: true } settings
                ? (await HangfireQueue.OpenAsync(settings.Storage!, settings, QueueRole.Worker, connectAttempts: 5, onRetry: null, line.Context.Environment, ct)).Storage
                : null;
            await using var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = parse.GetValue(urls)!, Inference = inference, Jobs = jobs, TrustedProxies = ServerOptions.TrustedProxiesFrom(line.Context.Environment) }, ct);
            var addresses = app.Addresses();
            var served = app.ServedVersions();
            if (run.IsJson) run.WriteJson(new { listening = addresses, workspace = line.Workspace.Root, skills = served, codeVersion = BuildInfo.CodeVersion, jobsDashboard = jobs is null ? null : JobsDashboard.Path });
            else
            {
                run.Console.WriteLine($"Skillmaker serves {line.Workspace.Root} on {string.Join(", ", addresses)}; Ctrl-C stops.");
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
}
