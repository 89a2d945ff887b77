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
            using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)) };
            var target = parse.GetValue(url)!;
            try
            {
                using var response = await http.GetAsync(target, ct);
                var ok = response.IsSuccessStatusCode;
                if (run.IsJson) run.WriteJson(new { url = target, status = (int)response.StatusCode, healthy = ok });
                else run.Host.Out.WriteLine($"{target}: {(int)response.StatusCode} {response.ReasonPhrase}");
                return ok ? ExitCodes.Ok : ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                throw new Common.SkillmakerException($"{target} did not answer: {ex.Message}");
            }
        }));
        return command;
    }
}
