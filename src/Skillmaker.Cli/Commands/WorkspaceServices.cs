using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Vision.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Commands;

/// <summary>The open workspace with its engines: the composition root commands share.</summary>
public sealed class WorkspaceServices : IAsyncDisposable
{
    private WorkspaceServices(Workspace workspace, ICatalog catalog, IBlobStore blobs)
    {
        Workspace = workspace;
        Catalog = catalog;
        Blobs = blobs;
    }

    public Workspace Workspace { get; }
    public ICatalog Catalog { get; }
    public IBlobStore Blobs { get; }

    /// <summary>The workspace the command line names (--workspace, $SKILLMAKER_WORKSPACE, the current folder).</summary>
    public static async Task<WorkspaceServices> OpenAsync(CommandRun run, CancellationToken cancellationToken) =>
        await OpenAsync(await run.OpenWorkspaceAsync(cancellationToken), run.Host.Environment, cancellationToken);

    /// <summary>A given workspace; S3 credentials and endpoints come from <paramref name="environment"/>.</summary>
    public static async Task<WorkspaceServices> OpenAsync(Workspace workspace, Func<string, string?> environment, CancellationToken cancellationToken) =>
        new(workspace, await WorkspaceStorage.OpenCatalogAsync(workspace, cancellationToken), WorkspaceStorage.OpenBlobs(workspace, environment));

    public IngestService CreateIngest(CommandRun run) =>
        new(Catalog, Blobs, new SkiaImageProbe(), Workspace.Config.Ingest, run.Time, run.Logging.CreateLogger<IngestService>());

    public Sources.CrawlService CreateCrawl(CommandRun run) =>
        new(CreateIngest(run), WorkspaceStorage.OpenCrawlStateStore(Catalog), new Sources.AngleSharpPageParser(), Workspace.Config.Sources,
            run.Time, Workspace.Config.Seed, run.Logging.CreateLogger<Sources.CrawlService>());

    public Sources.UrlIngestService CreateUrlIngest(CommandRun run) =>
        new(CreateIngest(run), WorkspaceStorage.OpenCrawlStateStore(Catalog), Workspace.Config.Sources, run.Time, Workspace.Config.Seed,
            run.Logging.CreateLogger<Sources.UrlIngestService>());

    public Datasets.DatasetService CreateDatasets(CommandRun run) =>
        new(WorkspaceStorage.DatasetStore(Catalog), Workspace.Config.Seed, Path.Combine(Workspace.StateDirectory, "manifests"), run.Time, run.Logging.CreateLogger<Datasets.DatasetService>());

    public Crowd.CrowdService CreateCrowd(CommandRun run, Crowd.CrowdOptions? options = null) =>
        new(WorkspaceStorage.CrowdStore(Catalog), Catalog, options ?? new Crowd.CrowdOptions(), run.Time, run.Logging.CreateLogger<Crowd.CrowdService>());

    /// <summary>The workspace's job queue and ledger (server mode: a jobs section with a storage).</summary>
    public async Task<Jobs.JobDispatcher> OpenJobsAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var settings = Workspace.Config.Jobs is { ServerMode: true } s ? s
            : throw new Common.SkillmakerException($"Workspace config {Workspace.ConfigPath} has no jobs.storage; expected \"jobs\": {{\"storage\": \"postgres://user@host/database\"}} to run jobs on workers.");
        var queue = await Workers.HangfireJobs.OpenAsync(settings.Storage!, settings, connectAttempts: 5, onRetry: null, cancellationToken);
        return new Jobs.JobDispatcher(queue, WorkspaceStorage.JobLedger(Catalog), settings, run.Time, run.Logging.CreateLogger<Jobs.JobDispatcher>());
    }

    /// <summary>What training, evaluation, promotion and reports need; one per command, so that
    /// concurrent trainers of one command share the embedding cache.</summary>
    public Training.TrainingEnvironment CreateTraining(CommandRun run) => _training ??= (TrainingOver(Workspace, Catalog, Blobs, _http ??= new HttpClient(), run.Time, run.Logging, run.Host.Environment) with
    {
        ServingBundles = new Promotion.ServingBundleWriter(Catalog, run.Host.Environment, run.Time, run.Host.CurrentDirectory, AppContext.BaseDirectory),
    }).WithDefaults();

    /// <summary>Training over engines already open: the stores beside the catalog, and the skill index when
    /// the catalog is shared. Folders (embedding cache, skill store) are left to the caller or <see cref="Training.TrainingEnvironment.WithDefaults"/>.</summary>
    internal static Training.TrainingEnvironment TrainingOver(Workspace workspace, ICatalog catalog, IBlobStore blobs, HttpClient http, TimeProvider time,
        Microsoft.Extensions.Logging.ILoggerFactory logging, Func<string, string?> environment) => new()
    {
        Workspace = workspace,
        Catalog = catalog,
        Blobs = blobs,
        Datasets = WorkspaceStorage.DatasetStore(catalog),
        Registry = WorkspaceStorage.AliasRegistry(catalog),
        SkillIndex = WorkspaceStorage.IsShared(catalog) ? WorkspaceStorage.SkillIndex(catalog) : null,
        Http = http,
        Time = time,
        Logging = logging,
        Environment = environment,
    };

    private Training.TrainingEnvironment? _training;
    private HttpClient? _http;

    public ValueTask DisposeAsync()
    {
        _http?.Dispose();
        (Blobs as IDisposable)?.Dispose();
        return Catalog.DisposeAsync();
    }
}

internal static class LoggerFactoryExtensions
{
    public static Microsoft.Extensions.Logging.ILogger<T> CreateLogger<T>(this Microsoft.Extensions.Logging.ILoggerFactory factory) =>
        new Microsoft.Extensions.Logging.Logger<T>(factory);
}
