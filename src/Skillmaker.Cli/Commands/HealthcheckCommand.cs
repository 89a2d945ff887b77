using System.CommandLine;
using Skillmaker.Cli.Infrastructure;

namespace Skillmaker.Cli.Commands;

/// <summary><c>healthcheck --url URL</c>: exit 0 when the URL answers 2xx. Container images have no curl;
/// the generated Dockerfiles call this instead.</summary>
public static class HealthcheckCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var url = new Option<Uri>("--url") { Description = "URL to GET, e.g. http://127.0.0.1:8080/healthz", Required = true };
        var timeout = new Option<int>("--timeout-ms") { Description = "Give up after this long (default 3000)", DefaultValueFactory = _ => 3000 };
        var command = new Command("healthcheck", "Exit 0 when a URL answers with a 2xx status (for container health checks)") { url, timeout };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var target = parse.GetValue(url)!;
            var (healthy, status) = await Server.Healthcheck.GetAsync(target, TimeSpan.FromMilliseconds(parse.GetValue(timeout)), ct);
            if (run.IsJson) run.WriteJson(new { url = target, status, healthy });
            else run.Host.Out.WriteLine($"{target}: {status}");
            return healthy ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }
}
