using System.Text.Json;
using Skillmaker.Cli.Infrastructure;

namespace Skillmaker.Testing;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;
}

/// <summary>Runs the real command line in-process with captured output, as a user would type it.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(string currentDirectory, params string[] args) =>
        await RunAsync(currentDirectory, new Dictionary<string, string?>(), CancellationToken.None, args);

    public static async Task<CliResult> RunAsync(string currentDirectory, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var host = new CliHost
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = currentDirectory,
            Environment = name => environment.TryGetValue(name, out var v) ? v : name == Common.AssetLocator.EnvironmentVariable ? TestAssets.Dir : null,
        };
        var code = await CliApp.RunAsync(args, host, cancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
