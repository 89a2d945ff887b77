using System.Text;
using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Jobs;

namespace Skillmaker.Detection;

/// <summary>What every batch of a detect run shares.</summary>
public sealed record DetectRunContext
{
    /// <summary>The model as the command loaded it.</summary>
    public required DetectorModel Model { get; init; }
    /// <summary>The blob holding the class names, one per line, so every worker names classes alike.</summary>
    public required string LabelsBlob { get; init; }
    public required DetectorSettings Settings { get; init; }
    public int AlreadyProcessed { get; init; }
    public int Pending { get; init; }
}

public sealed record DetectBatchResult
{
    public IReadOnlyList<ImageDetectReport> Reports { get; init; } = [];
    public int Crops { get; init; }
}

/// <summary>Detection as batch jobs. The command stages the model and its class names into the blob store
/// (named by their SHA-256, which is also what results are keyed by), so workers need no shared folder:
/// each fetches them once into a local cache. Jobs carry image ids only. Every image is its own
/// transaction, as in-process; a retried batch reports what it recorded before from the store.</summary>
public sealed partial class DetectJobs(
    IDetectionStore store,
    IBlobStore blobs,
    Func<string, string, int, IObjectDetector> loadDetector,
    Func<IObjectDetector, DetectorSettings, DetectService> serviceFor,
    string cacheDirectory,
    TimeProvider time,
    ILoggerFactory loggers) : IBatchHandler
{
    public const string Kind = "detect";

    private readonly ILogger<DetectJobs> _logger = loggers.CreateLogger<DetectJobs>();
    private readonly BlobFileCache _files = new(blobs, cacheDirectory);

    /// <summary>Stages the model, starts the detect run and submits its batches; returns the run id.</summary>
    public async Task<(string RunId, JobRunProgress Progress)> SubmitAsync(DetectRequest request, IObjectDetector detector, DetectorSettings settings,
        WorkspaceRef workspace, JobDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var model = detector.Model;
        var pending = await store.ListPendingAsync(model.Sha256, cancellationToken);
        var already = await store.CountProcessedAsync(model.Sha256, cancellationToken);
        var images = pending.Take(request.Limit).ToList();

        await BlobFileCache.StageAsync(blobs, model.Path, model.Sha256, "Detector model", cancellationToken);
        var labels = Encoding.UTF8.GetBytes(string.Join('\n', model.ClassNames) + "\n");
        var labelsBlob = Sha256Hex.Of(labels);
        await blobs.PutAsync(labelsBlob, labels, cancellationToken);

        var runId = DetectService.NewRunId(time);
        await store.StartRunAsync(DetectService.NewRun(runId, model, settings, time.GetUtcNow()), cancellationToken);
        var context = new DetectRunContext { Model = model, LabelsBlob = labelsBlob, Settings = settings, AlreadyProcessed = already, Pending = pending.Count };
        var progress = await dispatcher.SubmitAsync(Kind, runId, workspace, images, context, this, cancellationToken);
        return (runId, progress);
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var run = JobJson.Read<DetectRunContext>(context, $"{batch}: context");
        var images = JobJson.Read<List<PendingImage>>(batch.Payload, $"{batch}: payload");
        var detector = await LoadAsync(run, cancellationToken);
        var service = serviceFor(detector, run.Settings);
        var reports = new List<ImageDetectReport>();
        var crops = 0;
        foreach (var image in images)
        {
            var (report, created) = await service.ProcessImageAsync(image, batch.RunId, null, cancellationToken);
            if (report is not null) reports.Add(report);
            crops += created;
        }
        return JobJson.Write(new DetectBatchResult { Reports = reports, Crops = crops });
    }

    /// <summary>The run's model from the local cache, fetched from the blob store (hash verified) the first time.</summary>
    private async Task<IObjectDetector> LoadAsync(DetectRunContext run, CancellationToken cancellationToken)
    {
        var modelPath = await _files.GetAsync(run.Model.Sha256, ".onnx", cancellationToken);
        var labelsPath = await _files.GetAsync(run.LabelsBlob, ".txt", cancellationToken);
        var detector = loadDetector(modelPath, labelsPath, run.Settings.Threads);
        if (detector.Model.Sha256 != run.Model.Sha256)
            throw new SkillmakerException($"The cached detector model {modelPath} hashes to {detector.Model.Sha256[..12]}, not {run.Model.Sha256[..12]}; delete it and retry.");
        return detector;
    }

    public async Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken)
    {
        var summary = Summarize(run);
        await store.FinishRunAsync(DetectService.RunResult(summary, time.GetUtcNow()), cancellationToken);
        LogFinished(run.RunId, summary.Processed, summary.CropsCreated);
    }

    /// <summary>The run's summary, as an in-process run would have reported it.</summary>
    public static DetectSummary Summarize(JobRunRecord run)
    {
        var context = JobJson.Read<DetectRunContext>(run.Context, $"detect run {run.RunId}: context");
        var results = run.Batches.Where(b => b.Result is not null).Select(b => JobJson.Read<DetectBatchResult>(b.Result!, $"detect run {run.RunId}: batch {b.Index + 1}")).ToList();
        return DetectService.Summarize(run.RunId, context.Model, context.AlreadyProcessed, context.Pending, [.. results.SelectMany(r => r.Reports)],
            results.Sum(r => r.Crops), interrupted: !run.Progress.AllBatchesDone);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Detect {RunId} finished on the workers: {Processed} images, {Crops} crops")]
    private partial void LogFinished(string runId, int processed, int crops);
}
