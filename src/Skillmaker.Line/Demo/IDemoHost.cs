using Skillmaker.Host;
using Skillmaker.Serving;

namespace Skillmaker.Demo;

/// <summary>What the demo needs from whoever runs it: progress displays, a line per finished stage, and
/// an HTTP server over the line (the server is a host, so the line cannot start one itself).</summary>
public interface IDemoHost
{
    Task<T> WithProgressAsync<T>(string title, Func<IProgress<(int Done, int Total)>, Task<T>> work);

    Task<T> WithStagesAsync<T>(Func<IProgress<(string Stage, int Done, int Total)>, Task<T>> work);

    /// <summary>A note for the person watching (nothing with --json).</summary>
    void Say(string text);

    void StageDone(string name, double seconds, string summary);

    /// <summary>Starts the server with the inference API on a free loopback port.</summary>
    Task<IDemoServer> StartServerAsync(LineServices line, InferenceSetup inference, CancellationToken cancellationToken);
}

/// <summary>A started server; disposing it stops it.</summary>
public interface IDemoServer : IAsyncDisposable
{
    string Address { get; }

    IReadOnlyDictionary<string, int> ServedVersions { get; }

    Task StopAsync(CancellationToken cancellationToken);
}
