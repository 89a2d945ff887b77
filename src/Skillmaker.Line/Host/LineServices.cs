using Microsoft.Extensions.Logging;
using Skillmaker.Augmentation;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Evaluation;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Promotion;
using Skillmaker.Registry;
using Skillmaker.Reports;
using Skillmaker.Review;
using Skillmaker.Serving;
using Skillmaker.Skills;
using Skillmaker.Sources;
using Skillmaker.Storage;
using Skillmaker.Storage.Queue;
using Skillmaker.Training;
using Skillmaker.Users;
using Skillmaker.Vision.Detection;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Host;

/// <summary>The composition root: one open workspace (its catalog, blob store and the stores beside the
/// catalog) and every stage's services built over it. Commands, the server and workers all get their
/// services here; nothing else constructs them. Cheap services are built per call; the training
/// environment is one per instance, so concurrent trainers share its embedding cache.</summary>
public sealed class LineServices : IAsyncDisposable
{
    private readonly bool _ownsEngines;
    private readonly Lazy<HttpClient> _http = new(() => new HttpClient());
    private TrainingEnvironment? _training;

    private LineServices(Workspace workspace, ICatalog catalog, IBlobStore blobs, LineContext context, bool ownsEngines)
    {
        Workspace = workspace;
        Catalog = catalog;
        Blobs = blobs;
        Context = context;
        _ownsEngines = ownsEngines;
    }

    /// <summary>Opens (and migrates) the workspace's catalog and its blob store; disposing closes them.</summary>
    public static async Task<LineServices> OpenAsync(Workspace workspace, LineContext context, CancellationToken cancellationToken)
    {
        var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, context.Environment, cancellationToken);
        try
        {
            return new LineServices(workspace, catalog, WorkspaceStorage.OpenBlobs(workspace, context.Environment), context, ownsEngines: true);
        }
        catch
        {
            await catalog.DisposeAsync();
            throw;
        }
    }

    /// <summary>Over engines the caller opened and will close (tests, benchmarks).</summary>
    public static LineServices Over(Workspace workspace, ICatalog catalog, IBlobStore blobs, LineContext context) =>
        new(workspace, catalog, blobs, context, ownsEngines: false);

    public Workspace Workspace { get; }
    public ICatalog Catalog { get; }
    public IBlobStore Blobs { get; }
    public LineContext Context { get; }
    public TimeProvider Time => Context.Time;

    // The stores that live beside the catalog, in the same database.
    public IDatasetStore DatasetStore => WorkspaceStorage.DatasetStore(Catalog);
    public ICrowdStore CrowdStore => WorkspaceStorage.CrowdStore(Catalog);
    public IUserStore UserStore => WorkspaceStorage.UserStore(Catalog);
    public IReviewStore ReviewStore => WorkspaceStorage.ReviewStore(Catalog);
    public IAliasRegistry Registry => WorkspaceStorage.AliasRegistry(Catalog);
    public IJobLedger JobLedger => WorkspaceStorage.JobLedger(Catalog);
    public IApiKeyStore ApiKeyStore => WorkspaceStorage.ApiKeyStore(Catalog);
    public IDetectionStore DetectionStore => WorkspaceStorage.OpenDetectionStore(Catalog);
    public ICrawlStateStore CrawlState => WorkspaceStorage.OpenCrawlStateStore(Catalog);
    public ICatalogBrowser CatalogBrowser => WorkspaceStorage.CatalogBrowser(Catalog);
    public IShadowStore ShadowStore => WorkspaceStorage.ShadowStore(Catalog);

    /// <summary>True when several machines share the catalog (PostgreSQL): packages then go through the
    /// skill index and the blob store.</summary>
    public bool IsShared => WorkspaceStorage.IsShared(Catalog);

    // Ingest and sources

    /// <summary>Which process runs which recorded run (see <see cref="RunLeases"/>).</summary>
    public RunLeases Leases => new(Path.Combine(Workspace.StateDirectory, "leases"));

    /// <summary>Finds and cleans crash leftovers: `skillmaker doctor` and the startup check.</summary>
    public Doctor Doctor() => new(this);

    public IngestService Ingest() => Ingest(Leases);

    /// <param name="leases">Where its runs record their owner; null for runs a worker's job runs, whose job
    /// ledger tracks them (a lease names one process, which a machine sharing the workspace would misjudge).</param>
    private IngestService Ingest(RunLeases? leases) =>
        new(Catalog, Blobs, new SkiaImageProbe(), Workspace.Config.Ingest, Time, Logger<IngestService>(), leases);

    public IngestJobs IngestJobs() =>
        new(Catalog, Blobs, new SkiaImageProbe(), Workspace.Config.Ingest, Time, Logger<IngestJobs>());

    /// <summary>URL downloads in this process: each run leaves a lease while it runs.</summary>
    public UrlIngestService UrlIngest() => UrlIngest(Leases);

    private UrlIngestService UrlIngest(RunLeases? leases) =>
        new(Ingest(leases), CrawlState, Workspace.Config.Sources, Time, Workspace.Config.Seed, Logger<UrlIngestService>());

    /// <summary>Crawls in this process: each run leaves a lease while it runs.</summary>
    public CrawlService Crawl() => Crawl(Leases);

    private CrawlService Crawl(RunLeases? leases) =>
        new(Ingest(leases), CrawlState, new AngleSharpPageParser(), Workspace.Config.Sources, Time, Workspace.Config.Seed, Logger<CrawlService>());

    // As worker jobs no lease, as detect's: the job ledger tracks the job, and its retry carries on from the crawl state.
    public UrlsJobs UrlsJobs() => new(() => UrlIngest(null), Time, Logger<UrlsJobs>());

    public CrawlJobs CrawlJobs() => new(() => Crawl(null), Time, Logger<CrawlJobs>());

    // Detection

    /// <summary>The workspace's detector with <paramref name="overrides"/> on top, validated and loaded.
    /// In a shared workspace a model that is not on this machine comes from the blob store (see
    /// <see cref="DetectorFilesAsync"/>); with <paramref name="publish"/> (detect) the model used here is
    /// published, so every other machine (promote, serve) uses the same one.</summary>
    public async Task<PreparedDetector> PrepareDetectorAsync(DetectorOverrides overrides, bool publish, CancellationToken cancellationToken)
    {
        var files = await DetectorFilesAsync(overrides, publish, cancellationToken);
        return DetectorSetup.Prepare(Workspace, overrides with { Model = files.Model, Labels = files.Labels }, Context.Environment, [.. Context.AssetSearchStart]);
    }

    /// <summary>Files by content address, shared by every machine of a server-mode workspace (PostgreSQL
    /// catalog): the detector model, gate records, embedding packs. Null for a one-machine workspace.</summary>
    public Artefacts? Artefacts => IsShared
        ? new Artefacts(Blobs, WorkspaceStorage.ArtefactIndex(Catalog), new BlobFileCache(Blobs, Context.CacheDirectory), Catalog.Location, Time)
        : null;

    /// <summary>The detector model and class names file a run uses: the run's or the config's paths, else the
    /// shared assets' model. In a shared workspace a path is only a source: when the file is here it is used
    /// (and published with <paramref name="publish"/>); when it is not, the latest published model is fetched
    /// from the blob store into this machine's cache (hash verified). Missing everywhere: an error naming
    /// every place looked at.</summary>
    public async Task<DetectorFiles> DetectorFilesAsync(DetectorOverrides overrides, bool publish, CancellationToken cancellationToken)
    {
        var configured = Workspace.Config.Detector;
        var labels = overrides.Labels ?? (configured.Labels is { } l ? Workspace.ResolveStatePath(l) : null);
        var model = overrides.Model ?? (configured.Model is { } m ? Workspace.ResolveStatePath(m) : null);
        if (Artefacts is not { } artefacts)
            return new DetectorFiles(model ?? DetectorSetup.LocateModel(Workspace, Context.Environment, [.. Context.AssetSearchStart]), labels);
        var looked = new List<string>();
        if (model is null)
        {
            var (assets, searched) = AssetLocator.Locate(Context.Environment, [.. Context.AssetSearchStart]);
            looked.AddRange(searched);
            if (assets is not null) model = Path.Combine(assets, DetectorSetup.DefaultModelInAssets);
        }
        if (model is not null && File.Exists(model))
        {
            if (publish)
            {
                var published = await artefacts.PublishFileAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, model, cancellationToken);
                if (labels is not null && File.Exists(labels))
                    await artefacts.PublishFileAsync(Artefacts.DetectorLabelsKind, published.Sha256, labels, cancellationToken);
            }
            return new DetectorFiles(model, labels);
        }
        if (model is not null) looked.Insert(0, model);
        var resolved = await artefacts.ResolveAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, cancellationToken)
            ?? throw new SkillmakerException($"No detector model on this machine and none published: looked at {(looked.Count == 0 ? "no path (detector.model is not set)" : string.Join(", ", looked))} " +
                $"and the artefact index of the catalog at {Catalog.Location}. Run `skillmaker detect` once on a machine that has the model (it publishes it to the blob store {Blobs.Location}), or set detector.model in {Workspace.ConfigPath}.");
        if (labels is not null && File.Exists(labels)) return new DetectorFiles(resolved.Path, labels);
        // The class names published with that model, if it was used with a file of them.
        var publishedLabels = await artefacts.ResolveAsync(Artefacts.DetectorLabelsKind, resolved.Record.Sha256, cancellationToken);
        if (labels is not null && publishedLabels is null)
            throw new SkillmakerException($"The detector class names file {labels} is not on this machine, and none was published with the detector model {resolved.Record.OriginalName} (sha256 {resolved.Record.Sha256}) in the catalog at {Catalog.Location}.");
        return new DetectorFiles(resolved.Path, publishedLabels?.Path);
    }

    public DetectService Detect(PreparedDetector detector) => Detect(detector.Detector, detector.Settings);

    public DetectJobs DetectJobs() =>
        new(DetectionStore, Blobs, (model, labels, threads) => YoloDetector.Shared(model, labels, threads), Detect,
            Context.CacheDirectory ?? BlobFileCache.DefaultDirectory, Time, Context.Logging);

    private DetectService Detect(IObjectDetector detector, DetectorSettings settings) =>
        new(DetectionStore, Blobs, detector, settings, Time, Logger<DetectService>(), Leases);

    // Crowd, review, users

    public CrowdService Crowd(CrowdOptions? options = null) =>
        new(CrowdStore, Catalog, options ?? new CrowdOptions(), Time, Logger<CrowdService>());

    public ReviewService Review() => new(ReviewStore, Time, DatasetStore);

    public UserService Users() => new(UserStore, Time);

    /// <summary>Signs image links in pages and exported task files with the workspace's link secret (from the
    /// environment or a 0600 file beside the catalog, never the catalog), validity capped by configuration.</summary>
    public async Task<SignedImageLinks> ImageLinksAsync(CancellationToken cancellationToken) =>
        new(await LinkSecret.LoadAsync(Workspace.StateDirectory, Context.Environment, cancellationToken), Time, LinkSecret.MaxLifetime(Context.Environment));

    /// <summary>Crowd batches on MTurk: export the open tasks, import the results.</summary>
    public async Task<MTurkBatches> MTurkBatchesAsync(CancellationToken cancellationToken) =>
        new(CrowdStore, await ImageLinksAsync(cancellationToken), Time);

    /// <summary>The box each crop was cut from, for the review grid's parent thumbnails.</summary>
    public ICropBoxSource CropBoxes() => new DetectedCropBoxes(DetectionStore);

    // Datasets, augmentation, training, evaluation, promotion

    public AugmentPreviewService AugmentPreview() => new(DatasetStore, Blobs, Workspace.Config.Seed, Catalog.Location, DetectionStore.FindCropOriginAsync);

    public DatasetService Datasets() =>
        new(DatasetStore, Workspace.Config.Seed, Path.Combine(Workspace.StateDirectory, "manifests"), Time, Logger<DatasetService>(), Attribution());

    /// <summary>extract as a job (server mode: on workers; otherwise the server's in-process queue).</summary>
    public ExtractJobs ExtractJobs() => new(Datasets(), DatasetStore, Time, Logger<ExtractJobs>());

    /// <summary>Label attribution of crops with the workspace's <c>detector.subject</c> settings.</summary>
    public AttributionService Attribution() => new(DetectionStore, Workspace.Config.Detector.Subject ?? new(), Time, Logger<AttributionService>());

    /// <summary>What training, evaluation and promotion share; one per instance.</summary>
    public TrainingEnvironment Training => _training ??= BuildTraining();

    /// <summary>A trainer; with <paramref name="offload"/>, embeddings missing from the cache are computed there first.</summary>
    public TrainingService Trainer(IEmbeddingOffload? offload = null) =>
        new(offload is null ? Training : Training with { Offload = offload });

    public EvaluationService Evaluation() => new(Training);

    public PromotionService Promotion() => new(Training, Evaluation());

    public SkillVersions SkillVersions() => new(Training);

    /// <summary>Heat maps of failures on demand, kept under .skillmaker/heatmaps (one per server).</summary>
    public FailureHeatmaps FailureHeatmaps() => new(Training.Skills, Training.Reports, Path.Combine(Workspace.StateDirectory, "heatmaps"));

    public EmbedJobs EmbedJobs() => new(Blobs, Context.CacheDirectory, Time, Logger<EmbedJobs>(), SharedEmbeddings());

    /// <summary>The embedding index every machine shares; null for a one-machine workspace.</summary>
    public SharedEmbeddings? SharedEmbeddings() => Artefacts is { } artefacts ? new(artefacts, Logger<SharedEmbeddings>()) : null;

    public TrainJobs TrainJobs() => new(Trainer(), new BlobFileCache(Blobs, Context.CacheDirectory), Logger<TrainJobs>());

    public EvalJobs EvalJobs() => new(Evaluation(), Logger<EvalJobs>());

    /// <summary>report as a job (server mode: written and published on a worker).</summary>
    public ReportJobs ReportJobs() => new(Evaluation(), Logger<ReportJobs>());

    /// <summary>Deployment bundles in the blob store (server mode); null for a one-machine workspace.</summary>
    public DeploymentBundles? DeploymentBundles() => Artefacts is { } artefacts ? new(artefacts) : null;

    /// <summary>Embeddings computed by the workers (server mode).</summary>
    public async Task<IEmbeddingOffload> WorkerEmbeddingsAsync(CancellationToken cancellationToken) =>
        new WorkerEmbeddings(EmbedJobs(), await OpenJobsAsync(cancellationToken), WorkspaceRef.Of(Workspace));

    // Jobs

    /// <summary>The workspace's job queue and ledger (server mode: a jobs section with a storage).</summary>
    public async Task<JobDispatcher> OpenJobsAsync(CancellationToken cancellationToken)
    {
        var settings = Workspace.Config.Jobs is { ServerMode: true } s ? s
            : throw new SkillmakerException($"Workspace config {Workspace.ConfigPath} has no jobs.storage; expected \"jobs\": {{\"storage\": \"postgres://user@host/database\"}} to run jobs on workers.");
        var queue = await HangfireQueue.OpenAsync(settings.Storage!, settings, QueueRole.Submitter, connectAttempts: 5, onRetry: null, Context.Environment, cancellationToken);
        return new JobDispatcher(queue, JobLedger, settings, Time, Logger<JobDispatcher>());
    }

    /// <summary>A queue that runs jobs in this process, one at a time, through the handlers and ledger workers
    /// use (for a workspace without a job server); disposing it stops it.</summary>
    public InProcessJobQueue InProcessJobs() =>
        new(new BatchWorker((_, _) => Task.FromResult(WorkerJobEnvironment.Over(this)), Time, Logger<BatchWorker>()), Logger<InProcessJobQueue>());

    /// <summary>Submits and follows runs on <paramref name="queue"/> with this workspace's ledger.</summary>
    public JobDispatcher Dispatcher(IJobQueue queue) => new(queue, JobLedger, Workspace.Config.Jobs ?? new JobsSettings(), Time, Logger<JobDispatcher>());

    // Serving

    public ApiKeyService ApiKeys() => new(ApiKeyStore, Time);

    /// <summary>The cascade at <paramref name="cascadePath"/> (default: the workspace's serving config when
    /// it exists), the detector and the skill store; null when no cascade is configured.</summary>
    public async Task<InferenceSetup?> PrepareInferenceAsync(string? cascadePath, CancellationToken cancellationToken, DetectorOverrides? detector = null)
    {
        var path = cascadePath ?? Path.Combine(Workspace.StateDirectory, ServingConfig.DefaultFileName);
        if (cascadePath is null && !File.Exists(path)) return null;
        var config = ServingConfig.Load(path);
        var prepared = await PrepareDetectorAsync(detector ?? DetectorOverrides.None, publish: false, cancellationToken);
        var store = Training.Skills;
        return new InferenceSetup(config, prepared.Detector, prepared.Settings, new PackageSkillLoader((skill, version, ct) => store.FindAsync(new SkillRef(skill, version), ct),
            load: (skill, version, ct) => store.LoadAsync(new SkillRef(skill, version), null, ct)));
    }

    /// <summary>The test harness: labelled photos (a folder, or a test set's photos) through detector → cascade,
    /// in this process exactly as <c>serve</c> would answer them (the production versions), or through a running
    /// server at <see cref="CascadeRequest.Url"/>; each stage scored against its own skill's truth.</summary>
    public async Task<CascadeEvaluation> EvaluateCascadeAsync(CascadeRequest request, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if ((request.Photos is null) == (request.Dataset is null))
            throw new InvalidSettingException(null, request.Photos is null ? "photos" : "dataset", "give either a labelled photos folder or a test set definition, exactly one of them");
        var path = request.ServingConfigPath ?? Path.Combine(Workspace.StateDirectory, ServingConfig.DefaultFileName);
        if (!File.Exists(path))
            throw new InvalidSettingException(path, "cascade", "does not exist; write a serving config with a cascade (docs/serving.md) or pass its path");
        var config = ServingConfig.Load(path);
        var evaluation = Evaluation();
        var evaluator = await evaluation.CascadeEvaluatorAsync(config, cancellationToken);
        var set = request.Dataset is { } definition
            ? await evaluation.CascadeTestSetAsync(definition, config, evaluator, request.ExcludeLeaked, cancellationToken)
            : new CascadePhotoSet($"photos {request.Photos}", CascadeEvaluator.FromFolder(request.Photos!), []);
        CascadeEvaluation result;
        if (request.Url is { } url)
        {
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
            if (request.ApiKey is { } key) http.DefaultRequestHeaders.Add(ApiHeaders.ApiKey, key);
            result = await evaluator.EvaluateAsync(set.Photos, url.ToString(), async (bytes, ct) =>
            {
                using var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
                using var response = await http.PostAsync("v1/classify", content, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                    throw new SkillmakerException($"{url} answered {(int)response.StatusCode} to a photo: {body}");
                return System.Text.Json.JsonSerializer.Deserialize<ClassifyAnswer>(body, WebJson)
                    ?? throw new SkillmakerException($"{url} answered with an empty body.");
            }, progress, cancellationToken, Blobs.ReadAllBytesAsync);
        }
        else
        {
            using var stack = await (await CascadeHarnessAsync(path, cancellationToken)).OpenAsync(null, cancellationToken);
            result = await evaluator.EvaluateAsync(set.Photos, "in-process", stack.ClassifyAsync, progress, cancellationToken, Blobs.ReadAllBytesAsync);
        }
        return result with { Set = set.Description, Excluded = set.Excluded };
    }

    /// <summary>The cascade of the serving config at <paramref name="servingConfigPath"/> in this process, as <c>serve</c> runs it.</summary>
    public async Task<CascadeHarness> CascadeHarnessAsync(string servingConfigPath, CancellationToken cancellationToken) =>
        new(await PrepareInferenceAsync(servingConfigPath, cancellationToken) ?? throw new InvalidSettingException(servingConfigPath, "cascade", "has no cascade"), Registry, Context.Logging);

    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The versions the cascade's skills' <paramref name="alias"/> points at (production; staging for shadow answers).</summary>
    public LiveSkills LiveSkills(InferenceSetup inference, string alias = Aliases.Production) => new(inference.Config.Skills, Registry, inference.Loader, Logger<LiveSkills>(), alias);

    public static ClassifyPipeline Classifier(InferenceSetup inference, LiveSkills skills, InferenceMetrics metrics, ShadowRunner? shadow = null) =>
        new(inference.Detector, inference.DetectorSettings, skills, inference.Config, metrics, shadow);


    private TrainingEnvironment BuildTraining()
    {
        var cache = Context.CacheDirectory ?? BlobFileCache.DefaultDirectory;
        var shared = IsShared ? new SharedSkills(WorkspaceStorage.SkillIndex(Catalog), Blobs, cache) : null;
        // A worker keeps its own copies: the workspace's folder is on the submitting machine. Two
        // workspaces served by one worker may both have a skill 'make' v1, hence the key.
        var workerKey = Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes($"{Workspace.Root}\n{Catalog.Location}"))[..16];
        var (embeddings, skills) = Context.OnWorker
            ? (Path.Combine(cache, "embeddings"), new SkillStore(Path.Combine(cache, "skills", workerKey), shared, Time, Logger<SkillStore>()))
            : (Path.Combine(Workspace.StateDirectory, "embeddings"), SkillStore.For(Workspace, shared, Time, Logger<SkillStore>()));
        return new TrainingEnvironment
        {
            Workspace = Workspace,
            Catalog = Catalog,
            Blobs = Blobs,
            Datasets = DatasetStore,
            Registry = Registry,
            Http = _http.Value,
            Time = Time,
            Logging = Context.Logging,
            Environment = Context.Environment,
            EmbeddingCache = new EmbeddingCache(embeddings),
            SharedEmbeddings = SharedEmbeddings(),
            Skills = skills,
            Extractor = Datasets(),
            Evaluator = new Evaluator(Blobs.ReadAllBytesAsync, Time),
            Reports = new ReportBuilder(Catalog, Blobs.ReadAllBytesAsync, Time),
            Gates = new GateRecords(Path.Combine(Workspace.StateDirectory, "gate"), Artefacts),
            Artefacts = Artefacts,
            FindCropOrigin = DetectionStore.FindCropOriginAsync,
            ServingBundles = Context.OnWorker ? null : new ServingBundleWriter(Catalog, ct => DetectorFilesAsync(DetectorOverrides.None, publish: false, ct), Time),
            ServingConfigPath = Path.Combine(Workspace.StateDirectory, ServingConfig.DefaultFileName),
            CascadeHarness = Context.OnWorker ? null : CascadeHarnessAsync,
            Shadow = WorkspaceStorage.ShadowStore(Catalog),
        };
    }

    private ILogger<T> Logger<T>() => Context.Logging.CreateLogger<T>();

    public async ValueTask DisposeAsync()
    {
        if (_http.IsValueCreated) _http.Value.Dispose();
        if (!_ownsEngines) return;
        (Blobs as IDisposable)?.Dispose();
        await Catalog.DisposeAsync();
    }
}
