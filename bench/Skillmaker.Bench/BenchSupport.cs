using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Common;
using Skillmaker.Ingest;
using System.Text.Json;
using Skillmaker.Host;
using Skillmaker.Workspaces;

namespace Skillmaker.Bench;

/// <summary>Shared measuring helpers: assets, medians, and a sampler of the managed heap's peak.</summary>
internal static class BenchSupport
{
    public static string Assets()
    {
        var (found, looked) = AssetLocator.Locate(Environment.GetEnvironmentVariable, AppContext.BaseDirectory, Environment.CurrentDirectory);
        return found ?? throw new InvalidOperationException($"Assets not found; looked in {string.Join("; ", looked)}. Set {AssetLocator.EnvironmentVariable}.");
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The line as a benchmark lends it: no logging, and <c>$SKILLMAKER_ASSETS</c> pointing at
    /// <paramref name="assets"/> when given.</summary>
    public static LineContext Context(string? assets = null) => new()
    {
        Logging = NullLoggerFactory.Instance,
        Environment = name => assets is not null && name == AssetLocator.EnvironmentVariable ? assets : Environment.GetEnvironmentVariable(name),
        AssetSearchStart = [AppContext.BaseDirectory, Environment.CurrentDirectory],
        User = "bench",
    };

    /// <summary>A fresh workspace in a temporary folder (deleted by <see cref="TempWorkspace.DisposeAsync"/>)
    /// with the line's services over it; <paramref name="parallelism"/> sets ingest.parallelism.</summary>
    public static async Task<TempWorkspace> NewWorkspaceAsync(string name, long seed, string? assets = null, int parallelism = 0)
    {
        var root = Path.Combine(Path.GetTempPath(), $"sm-bench-{name}-{Guid.NewGuid():N}");
        var created = await Workspace.InitAsync(root, seed, CancellationToken.None);
        var workspace = Workspace.FromConfig(root, JsonSerializer.Serialize(created.Config with { Ingest = created.Config.Ingest with { Parallelism = parallelism } }, WorkspaceJson.Options));
        return new TempWorkspace(root, await LineServices.OpenAsync(workspace, Context(assets), CancellationToken.None));
    }

    /// <summary>Runs <paramref name="work"/> on a fresh workspace (see <see cref="NewWorkspaceAsync"/>).</summary>
    public static async Task InWorkspaceAsync(Func<LineServices, Task> work, int parallelism = 0)
    {
        await using var temp = await NewWorkspaceAsync("ingest", 1, parallelism: parallelism);
        await work(temp.Line);
    }

    /// <summary>Ingests the car photos (labels from their folders) into the workspace.</summary>
    public static Task IngestCarsAsync(LineServices line, string assets) =>
        line.Ingest().RunAsync(new IngestRequest { Paths = [Path.Combine(assets, "cars")], Source = "stanford-cars", LabelsFromFolders = true }, null, CancellationToken.None);

    public static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
    }
}

/// <summary>A workspace in a temporary folder with the line over it; disposing closes it and deletes the folder.</summary>
internal sealed class TempWorkspace(string root, LineServices line) : IAsyncDisposable
{
    public LineServices Line { get; } = line;

    public async ValueTask DisposeAsync()
    {
        await Line.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }
}

/// <summary>Samples the managed heap every few milliseconds and keeps the largest value seen.</summary>
internal sealed class PeakMemorySampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public PeakMemorySampler()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Baseline = GC.GetTotalMemory(forceFullCollection: true);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _peak = Math.Max(_peak, GC.GetTotalMemory(false));
                try { await Task.Delay(5, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public long Baseline { get; }
    public long PeakAboveBaseline => Math.Max(0, _peak - Baseline);

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
        _stop.Dispose();
    }
}
