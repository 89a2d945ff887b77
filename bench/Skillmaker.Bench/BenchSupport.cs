using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Common;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Vision.Imaging;
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

    /// <summary>Runs <paramref name="work"/> on a fresh workspace in a temporary folder (deleted after),
    /// with an ingest service on its catalog and blobs.</summary>
    public static async Task InWorkspaceAsync(Func<Workspace, Catalog.ICatalog, IngestService, Task> work, int parallelism = 0)
    {
        var root = Path.Combine(Path.GetTempPath(), $"sm-bench-{Guid.NewGuid():N}");
        try
        {
            var workspace = await Workspace.InitAsync(root, 1, CancellationToken.None);
            await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
            var ingest = new IngestService(catalog, WorkspaceStorage.OpenBlobs(workspace), new SkiaImageProbe(),
                workspace.Config.Ingest with { Parallelism = parallelism }, TimeProvider.System, NullLogger<IngestService>.Instance);
            await work(workspace, catalog, ingest);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Ingests the car photos (labels from their folders) into the workspace and returns a
    /// training environment over it that finds <c>${SKILLMAKER_ASSETS}</c> paths in <paramref name="assets"/>.</summary>
    public static async Task<Training.TrainingEnvironment> IngestCarsForTrainingAsync(Workspace workspace, Catalog.ICatalog catalog, Blobs.IBlobStore blobs, string assets, HttpClient http)
    {
        var ingest = new IngestService(catalog, blobs, new SkiaImageProbe(), workspace.Config.Ingest, TimeProvider.System, NullLogger<IngestService>.Instance);
        await ingest.RunAsync(new IngestRequest { Paths = [Path.Combine(assets, "cars")], Source = "stanford-cars", LabelsFromFolders = true }, null, CancellationToken.None);
        return new Training.TrainingEnvironment
        {
            Workspace = workspace, Catalog = catalog, Blobs = blobs, Datasets = WorkspaceStorage.DatasetStore(catalog), Registry = WorkspaceStorage.AliasRegistry(catalog),
            Http = http, Logging = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            Environment = name => name == AssetLocator.EnvironmentVariable ? assets : Environment.GetEnvironmentVariable(name),
        }.WithDefaults();
    }

    public static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
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
