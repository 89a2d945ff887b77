using Skillmaker.Catalog;

namespace Skillmaker.Detection;

/// <summary>Where detections live. SQLite serves one machine; a PostgreSQL implementation serves many.
/// Results are keyed by image and model sha256: one model processes an image once.</summary>
public interface IDetectionStore
{
    /// <summary>Original images that <paramref name="modelSha256"/> has not processed, oldest first.</summary>
    Task<IReadOnlyList<PendingImage>> ListPendingAsync(string modelSha256, CancellationToken cancellationToken);

    /// <summary>How many originals this model already processed.</summary>
    Task<int> CountProcessedAsync(string modelSha256, CancellationToken cancellationToken);

    Task StartRunAsync(DetectRun run, CancellationToken cancellationToken);

    /// <summary>Records one image's result, its detections and its new crops in one transaction.
    /// Returns false (and changes nothing) when this model already has a result for the image.</summary>
    Task<bool> RecordAsync(ImageDetectionWrite write, CancellationToken cancellationToken);

    /// <summary>Records a running run finished, once: a run already finished is left as it is.</summary>
    Task FinishRunAsync(DetectRunResult result, CancellationToken cancellationToken);

    Task<ImageDetectionResult?> GetResultAsync(string imageId, string modelSha256, CancellationToken cancellationToken);

    /// <summary>Where a crop was cut: its parent photo's id and size and the rectangle, in the parent's oriented
    /// pixels; null when no detection made <paramref name="cropId"/>.</summary>
    Task<CropOrigin?> FindCropOriginAsync(string cropId, CancellationToken cancellationToken);

    /// <summary>Every result, optionally of one model, ordered by image id.</summary>
    Task<IReadOnlyList<ImageDetectionResult>> ListResultsAsync(string? modelSha256, CancellationToken cancellationToken);

    /// <summary>Records label attributions (one row per crop, replaced when the decision, rule or
    /// settings changed) in one transaction; returns how many rows were new or changed.</summary>
    Task<int> SaveAttributionsAsync(IReadOnlyList<CropAttribution> attributions, CancellationToken cancellationToken);

    /// <summary>How the photo's labels were attributed to <paramref name="cropId"/>; null when not yet.</summary>
    Task<CropAttribution?> GetAttributionAsync(string cropId, CancellationToken cancellationToken);

    /// <summary>Per photo and model, its size and cropped vehicle boxes; with <paramref name="onlyMissing"/>
    /// only photos with a crop that has no attribution yet.</summary>
    Task<IReadOnlyList<AttributionInput>> ListAttributionInputsAsync(bool onlyMissing, CancellationToken cancellationToken);
}

/// <summary>What attribution needs of one photo as one model saw it.</summary>
public sealed record AttributionInput(string ImageId, string ModelSha256, int Width, int Height, IReadOnlyList<CroppedBox> Crops);

/// <summary>A crop's parent photo and the rectangle cut from it.</summary>
public sealed record CropOrigin(string ParentId, int ParentWidth, int ParentHeight, PixelRect Rect);

public sealed record PendingImage(string ImageId, int Width, int Height, string? OriginalFileName);

public sealed record DetectRun(string RunId, string ModelSha256, string ModelPath, string SettingsJson, DateTimeOffset StartedAt);

public enum DetectRunStatus { Running, Completed, Interrupted }

public sealed record DetectRunResult
{
    public required string RunId { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required DetectRunStatus Status { get; init; }
    public int Processed { get; init; }
    public int Vehicles { get; init; }
    public int Failed { get; init; }
}

/// <summary>One detection as stored: what the model said and what Skillmaker made of it.</summary>
public sealed record StoredDetection
{
    /// <summary>0-based position in the image's detections, best score first.</summary>
    public required int Rank { get; init; }
    public required int ClassId { get; init; }
    public required string ClassName { get; init; }
    public required float Score { get; init; }
    public required BoundingBox Box { get; init; }
    public required DetectionRole Role { get; init; }
    /// <summary>For a cropped vehicle: the rectangle cut out (box plus padding, clipped).</summary>
    public PixelRect? CropRect { get; init; }
    /// <summary>For a cropped vehicle: the crop's image id.</summary>
    public string? CropId { get; init; }
}

/// <summary>Everything one processed image adds.</summary>
public sealed record ImageDetectionWrite
{
    public required string ImageId { get; init; }
    public required string ModelSha256 { get; init; }
    public required string RunId { get; init; }
    public required DetectionOutcome Outcome { get; init; }
    /// <summary>Why the image could not be processed (outcome Failed).</summary>
    public string? Error { get; init; }
    public required DateTimeOffset ProcessedAt { get; init; }
    public IReadOnlyList<StoredDetection> Detections { get; init; } = [];
    /// <summary>New crop images (kind Crop, ParentId set); their bytes are already in the blob store.</summary>
    public IReadOnlyList<ImageRecord> Crops { get; init; } = [];
    /// <summary>Label attributions of the crops (which is the photo's subject).</summary>
    public IReadOnlyList<CropAttribution> Attributions { get; init; } = [];
}

public sealed record ImageDetectionResult
{
    public required string ImageId { get; init; }
    public required string ModelSha256 { get; init; }
    public required string RunId { get; init; }
    public required DetectionOutcome Outcome { get; init; }
    public required int VehicleCount { get; init; }
    public string? Error { get; init; }
    public required DateTimeOffset ProcessedAt { get; init; }
    public required IReadOnlyList<StoredDetection> Detections { get; init; }
}
