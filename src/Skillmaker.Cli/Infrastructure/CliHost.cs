namespace Skillmaker.Cli.Infrastructure;

/// <summary>What a command may touch outside itself: output streams, clock, environment, working
/// folder. Tests pass their own to run commands in-process.</summary>
public sealed record CliHost
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public required Func<string, string?> Environment { get; init; }
    public required string CurrentDirectory { get; init; }
    /// <summary>True when progress can be drawn as a live bar (stderr is a terminal).</summary>
    public bool InteractiveProgress { get; init; }

    public static CliHost FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        Environment = System.Environment.GetEnvironmentVariable,
        CurrentDirectory = System.Environment.CurrentDirectory,
        InteractiveProgress = !Console.IsErrorRedirected,
    };
}
