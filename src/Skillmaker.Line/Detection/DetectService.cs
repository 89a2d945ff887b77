using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;

namespace Skillmaker.Detection;

public sealed record DetectRequest
{
    /// <summary>Also write each processed image with its boxes drawn into this folder.</summary>
    public string? PreviewDirectory { get; init; }
    /// <summary>Process at most this many pending images. Default: all.</summary>
    public int Limit { get; init; } = int.MaxValue;
}

public sealed record DetectedVehicle(string ClassName, float Score, BoundingBox Box, PixelRect CropRect, string CropId);

public sealed record ImageDetectReport(string ImageId, string? FileName, DetectionOutcome Outcome, IReadOnlyList<DetectedVehicle> Vehicles, int OtherDetections, string? Error);

public sealed record DetectSummary
{
    public required string RunId { get; init; }
    public required DetectorModel Model { get; init; }
    /// <summary>Originals this model had processed before the run (not looked at again).</summary>
    public int AlreadyProcessed { get; init; }
    public int Processed { get; init; }
    public int NoVehicle { get; init; }
    public int OneVehicle { get; init; }
    public int SeveralVehicles { get; init; }
    public int CropsCreated { get; init; }
    /// <summary>Processed images in id order.</summary>
    public IReadOnlyList<ImageDetectReport> Images { get; init; } = [];
    public IReadOnlyList<ImageDetectReport> Failed => [.. Images.Where(i => i.Outcome == DetectionOutcome.Failed)];
    public int Remaining { get; init; }
    public bool Interrupted { get; init; }
}

public readonly record struct DetectProgress(int Completed, int Total, string? CurrentImage);

/// <summary>Runs the detector over every original image the model has not processed yet. Each image is
/// one transaction (its result, every detection, its crops), written after the crop bytes are stored,
/// so an interrupted run leaves only complete images and re-running finishes the rest. An image that
/// fails to decode is recorded as failed and reported; the batch goes on.</summary>
public sealed partial class DetectService(
    IDetectionStore store,
    IBlobStore blobs,
    IObjectDetector detector,
    DetectorSettings settings,
    TimeProvider time,
    ILogger<DetectService> logger,
    RunLeases? leases = null)
{
    /// <summary>The kind of <see cref="RunLeases"/> entry a detect run leaves while it runs.</summary>
    public const string LeaseKind = "detect";

    private static readonly JsonSerializerOptions SettingsJson = new(JsonSerializerDefaults.Web);

    public async Task<DetectSummary> RunAsync(DetectRequest request, IProgress<DetectProgress>? progress, CancellationToken cancellationToken)
    {
        var model = detector.Model;
        var unknown = VehicleSelection.UnknownClasses(settings.Classes, model.ClassNames);
        if (unknown.Count > 0)
            throw new SkillmakerException($"Classes {string.Join(", ", unknown)} are not classes of the detector {model.Path}; it knows {Describe(model.ClassNames)}.");

        var pending = await store.ListPendingAsync(model.Sha256, cancellationToken);
        var already = await store.CountProcessedAsync(model.Sha256, cancellationToken);
        var batch = pending.Take(request.Limit).ToList();
        var runId = NewRunId(time);
        await store.StartRunAsync(NewRun(runId, model, settings, time.GetUtcNow()), cancellationToken);
        // Released once the run is recorded finished; left behind by a crash for `doctor` to find.
        var lease = leases?.Take(LeaseKind, runId);
        LogRunStarted(runId, batch.Count, model.Sha256[..12]);
        if (request.PreviewDirectory is { } previews) Directory.CreateDirectory(previews);

        var reports = new List<ImageDetectReport>();
        var crops = 0;
        var interrupted = false;
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var image = batch[i];
                progress?.Report(new DetectProgress(i, batch.Count, image.OriginalFileName ?? image.ImageId));
                var (report, created) = await ProcessImageAsync(image, runId, request.PreviewDirectory, cancellationToken);
                if (report is not null) reports.Add(report);
                crops += created;
            }
            progress?.Report(new DetectProgress(batch.Count, batch.Count, null));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }

        var summary = Summarize(runId, model, already, pending.Count, reports, crops, interrupted);
        await store.FinishRunAsync(RunResult(summary, time.GetUtcNow()), CancellationToken.None);
        lease?.Dispose();
        LogRunFinished(runId, summary.Processed, crops, summary.Failed.Count, interrupted);
        return summary;
    }

    public static DetectRun NewRun(string runId, DetectorModel model, DetectorSettings settings, DateTimeOffset startedAt) =>
        new(runId, model.Sha256, model.Path, JsonSerializer.Serialize(settings, SettingsJson), startedAt);

    /// <summary>A new run id: time-ordered, unique across machines.</summary>
    public static string NewRunId(TimeProvider time) => Jobs.RunIds.New("detect", time);

    public static DetectSummary Summarize(string runId, DetectorModel model, int alreadyProcessed, int pending, IReadOnlyCollection<ImageDetectReport> reports, int crops, bool interrupted) => new()
    {
        RunId = runId,
        Model = model,
        AlreadyProcessed = alreadyProcessed,
        Processed = reports.Count,
        NoVehicle = reports.Count(r => r.Outcome == DetectionOutcome.None),
        OneVehicle = reports.Count(r => r.Outcome == DetectionOutcome.One),
        SeveralVehicles = reports.Count(r => r.Outcome == DetectionOutcome.Several),
        CropsCreated = crops,
        Images = [.. reports.OrderBy(r => r.ImageId, StringComparer.Ordinal)],
        Remaining = pending - reports.Count,
        Interrupted = interrupted,
    };

    public static DetectRunResult RunResult(DetectSummary summary, DateTimeOffset finishedAt) => new()
    {
        RunId = summary.RunId,
        FinishedAt = finishedAt,
        Status = summary.Interrupted ? DetectRunStatus.Interrupted : DetectRunStatus.Completed,
        Processed = summary.Processed,
        Vehicles = summary.Images.Sum(r => r.Vehicles.Count),
        Failed = summary.Failed.Count,
    };

    /// <summary>Processes one image for the run. Returns its report, null when another run recorded the
    /// image meanwhile, and the number of crops cut. A result this same run recorded before (a batch job
    /// run again after its worker died) is reported from the store, so a retry counts exactly once.</summary>
    public async Task<(ImageDetectReport? Report, int Crops)> ProcessImageAsync(PendingImage image, string runId, string? previewDirectory, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await blobs.ReadAllBytesAsync(image.ImageId, ct);
        }
        catch (Exception ex) when (ex is BlobNotFoundException or BlobCorruptException)
        {
            // Not recorded: once the blob is restored, the next run processes the image.
            LogFailed(image.ImageId, ex.Message);
            return (new ImageDetectReport(image.ImageId, image.OriginalFileName, DetectionOutcome.Failed, [], 0, ex.Message), 0);
        }

        var now = time.GetUtcNow();
        IDetectionFrame frame;
        try
        {
            frame = detector.Detect(bytes, settings.Thresholds);
        }
        catch (ImageDecodeException ex)
        {
            LogFailed(image.ImageId, ex.Message);
            var failed = new ImageDetectionWrite
            {
                ImageId = image.ImageId, ModelSha256 = detector.Model.Sha256, RunId = runId, Outcome = DetectionOutcome.Failed, Error = ex.Message, ProcessedAt = now,
            };
            if (!await store.RecordAsync(failed, ct)) return await RecordedByAsync(image, runId, ct);
            return (new ImageDetectReport(image.ImageId, image.OriginalFileName, DetectionOutcome.Failed, [], 0, ex.Message), 0);
        }

        using (frame)
        {
            var selection = VehicleSelection.Select(frame.Detections, settings, frame.Width, frame.Height);
            var stored = new List<StoredDetection>(selection.Count);
            var cropRecords = new Dictionary<string, ImageRecord>(StringComparer.Ordinal);
            var vehicles = new List<DetectedVehicle>();
            foreach (var (s, rank) in selection.Select((s, rank) => (s, rank)))
            {
                string? cropId = null;
                if (s.CropRect is { } rect)
                {
                    var crop = frame.Crop(rect);
                    cropId = Sha256Hex.Of(crop.Bytes);
                    await blobs.PutAsync(cropId, crop.Bytes, ct);
                    cropRecords.TryAdd(cropId, new ImageRecord
                    {
                        Id = cropId, Kind = ImageKind.Crop, ParentId = image.ImageId, ByteSize = crop.Bytes.Length, Format = crop.Format,
                        Width = crop.Width, Height = crop.Height, ExifOrientation = 1, PerceptualHash = crop.PerceptualHash, IngestedAt = now,
                    });
                    vehicles.Add(new DetectedVehicle(s.Detection.ClassName, s.Detection.Score, s.Detection.Box, rect, cropId));
                }
                stored.Add(new StoredDetection
                {
                    Rank = rank, ClassId = s.Detection.ClassId, ClassName = s.Detection.ClassName, Score = s.Detection.Score, Box = s.Detection.Box,
                    Role = s.Role, CropRect = s.CropRect, CropId = cropId,
                });
            }

            var outcome = DetectionOutcomes.FromCount(vehicles.Count);
            if (previewDirectory is { } dir)
            {
                var preview = frame.RenderPreview([.. selection.Select(s => (s.Detection, s.Role == DetectionRole.Vehicle))]);
                var stem = Path.GetFileNameWithoutExtension(image.OriginalFileName ?? "image");
                await AtomicFile.WriteAllBytesAsync(Path.Combine(dir, $"{stem}-{image.ImageId[..12]}.jpg"), preview, ct);
            }

            var write = new ImageDetectionWrite
            {
                ImageId = image.ImageId, ModelSha256 = detector.Model.Sha256, RunId = runId, Outcome = outcome, ProcessedAt = now,
                Detections = stored, Crops = [.. cropRecords.Values],
                Attributions = AttributionService.Attribute(
                    new AttributionInput(image.ImageId, detector.Model.Sha256, frame.Width, frame.Height, [.. vehicles.Select(v => new CroppedBox(v.CropId, v.Box))]),
                    settings.Subject, now),
            };
            if (!await store.RecordAsync(write, ct)) return await RecordedByAsync(image, runId, ct);
            LogImage(image.ImageId, outcome, vehicles.Count);
            return (new ImageDetectReport(image.ImageId, image.OriginalFileName, outcome, vehicles, stored.Count - vehicles.Count, null), cropRecords.Count);
        }
    }

    private async Task<(ImageDetectReport? Report, int Crops)> RecordedByAsync(PendingImage image, string runId, CancellationToken ct)
    {
        var stored = await store.GetResultAsync(image.ImageId, detector.Model.Sha256, ct);
        if (stored is null || stored.RunId != runId) return (null, 0);
        var vehicles = stored.Detections.Where(d => d.Role == DetectionRole.Vehicle && d.CropId is not null)
            .Select(d => new DetectedVehicle(d.ClassName, d.Score, d.Box, d.CropRect!.Value, d.CropId!)).ToList();
        var report = new ImageDetectReport(image.ImageId, image.OriginalFileName, stored.Outcome, vehicles, stored.Detections.Count - vehicles.Count, stored.Error);
        return (report, vehicles.Select(v => v.CropId).Distinct().Count());
    }

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : $"{names.Count} classes ({string.Join(", ", names.Take(12))}, ...)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Detect {RunId} started: {Count} images for model {Model}")]
    private partial void LogRunStarted(string runId, int count, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Detect {RunId} finished: {Processed} images, {Crops} crops, {Failed} failed, interrupted={Interrupted}")]
    private partial void LogRunFinished(string runId, int processed, int crops, int failed, bool interrupted);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{ImageId}: {Outcome} ({Vehicles} vehicles)")]
    private partial void LogImage(string imageId, DetectionOutcome outcome, int vehicles);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ImageId} could not be processed: {Reason}")]
    private partial void LogFailed(string imageId, string reason);
}
