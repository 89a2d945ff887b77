using System.CommandLine;
using Spectre.Console;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Server;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker serve</c>: the crowd and review pages over HTTP until Ctrl-C.</summary>
public static class ServeCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen (default http://127.0.0.1:5080; put a TLS proxy in front for outside workers)", HelpName = "URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var command = new Command("serve", "Serve the crowd task and expert review pages") { urls };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var services = await WorkspaceServices.OpenAsync(run, ct).ConfigureAwait(false);
            // In server mode admins see the job queue's dashboard at /jobs.
            var jobs = services.Workspace.Config.Jobs is { ServerMode: true } settings
                ? (await Workers.HangfireJobs.OpenAsync(settings.Storage!, settings, connectAttempts: 5, onRetry: null, ct).ConfigureAwait(false)).Storage
                : null;
            await using var app = await SkillmakerServer.BuildAsync(services.Workspace, services.Catalog, services.Blobs,
                new ServerOptions { Urls = parse.GetValue(urls)!, Jobs = jobs }, run.Time, ct).ConfigureAwait(false);
            await app.StartAsync(ct).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
            if (run.IsJson) run.WriteJson(new { listening = addresses, workspace = services.Workspace.Root });
            else run.Console.WriteLine($"Skillmaker serves {services.Workspace.Root} on {string.Join(", ", addresses)}{(jobs is null ? "" : $"; job dashboard for admins at {JobsDashboard.Path}")}; Ctrl-C stops.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
