using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Host;
using Skillmaker.Workspaces;

namespace Skillmaker.Server;

/// <summary>The server executable: parses its few arguments, opens the workspace through the composition
/// root and runs until SIGTERM or Ctrl-C. Exit codes: 0 stopped, 1 failed, 2 bad arguments.</summary>
public static class ServerProgram
{
    public const string Usage = """
        usage: skillmaker-server [--workspace DIR] [--urls URL] [--cascade FILE]
               skillmaker-server healthcheck URL
          --workspace DIR  the workspace to serve (default: $SKILLMAKER_WORKSPACE, else the current folder)
          --urls URL       where to listen (default http://127.0.0.1:5080)
          --cascade FILE   serving config (default: the workspace's .skillmaker/serving.json when it exists)
          healthcheck URL  exit 0 when URL answers 2xx within 3 s (for container health checks)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, string currentDirectory)
    {
        if (args is ["healthcheck", var url]) return await HealthcheckAsync(url, output, error);
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--workspace" or "--urls" or "--cascade" && i + 1 < args.Length) options[args[i]] = args[++i];
            else
            {
                error.WriteLine($"error: unexpected argument '{args[i]}'.");
                error.WriteLine(Usage);
                return 2;
            }
        }
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            var folder = options.GetValueOrDefault("--workspace") ?? environment(Workspace.EnvironmentVariable) ?? currentDirectory;
            var workspace = await Workspace.OpenAsync(Path.GetFullPath(folder, currentDirectory), CancellationToken.None);
            var context = new LineContext { Logging = logging, Environment = environment, AssetSearchStart = [currentDirectory, AppContext.BaseDirectory] };
            await using var line = await LineServices.OpenAsync(workspace, context, CancellationToken.None);
            // As every CLI command (serve included): runs a dead process left running here are marked interrupted.
            await line.Doctor().StartupCheckAsync(error, CancellationToken.None);
            var inference = await line.PrepareInferenceAsync(options.TryGetValue("--cascade", out var cascade) ? Path.GetFullPath(cascade, currentDirectory) : null, CancellationToken.None);
            await using var app = await SkillmakerServer.BuildAsync(line, new ServerOptions { Urls = options.GetValueOrDefault("--urls") ?? new ServerOptions().Urls, Inference = inference, TrustedProxies = ServerOptions.TrustedProxiesFrom(environment) }, CancellationToken.None);
            await app.StartAsync();
            output.WriteLine($"Skillmaker server {BuildInfo.CodeVersion} serves {workspace.Root} on {string.Join(", ", app.Addresses())}" +
                             (app.ServedVersions() is { } served ? $" with {string.Join(", ", served.Select(s => $"{s.Key}@{s.Value}"))}" : " (pages only: no cascade)"));
            // The host stops on SIGTERM (docker stop) and Ctrl-C, letting requests in flight finish.
            await app.WaitForShutdownAsync();
            return 0;
        }
        catch (SkillmakerException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> HealthcheckAsync(string url, TextWriter output, TextWriter error)
    {
        try
        {
            var (healthy, status) = await Healthcheck.GetAsync(new Uri(url), TimeSpan.FromSeconds(3), CancellationToken.None);
            output.WriteLine($"{url}: {status}");
            return healthy ? 0 : 1;
        }
        catch (Exception ex) when (ex is SkillmakerException or UriFormatException)
        {
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}

/// <summary>A container health probe: GET a URL, healthy on 2xx. Container images have no curl.</summary>
public static class Healthcheck
{
    public static async Task<(bool Healthy, int Status)> GetAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            return (response.IsSuccessStatusCode, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw new SkillmakerException($"{url} did not answer: {ex.Message}");
        }
    }
}
