using Skillmaker.Common;

namespace Skillmaker.Catalog;

/// <summary>What the dashboard's catalog view filters on; every null or empty field is no constraint.</summary>
public sealed record BrowseFilter
{
    /// <summary>An occurrence came from this source.</summary>
    public string? Source { get; init; }
    /// <summary>A (not retracted) label record with this label.</summary>
    public string? Label { get; init; }
    /// <summary>With <see cref="Label"/> (or alone): the label record's provenance.</summary>
    public Provenance? LabelProvenance { get; init; }
    /// <summary>With <see cref="Label"/> (or alone): the label record's status.</summary>
    public LabelStatus? LabelStatus { get; init; }
    /// <summary>The image is in this split of some manifest ("train" or "test").</summary>
    public string? Split { get; init; }
    /// <summary>The image or its parent photo has this set id.</summary>
    public string? SetId { get; init; }
    public ImageKind? Kind { get; init; }
    public int? MinWidth { get; init; }
    public int? MinHeight { get; init; }
    /// <summary>Date taken on or after this day (yyyy-MM-dd).</summary>
    public string? TakenFrom { get; init; }
    /// <summary>Date taken on or before this day (yyyy-MM-dd).</summary>
    public string? TakenTo { get; init; }
    /// <summary>A detection outcome of the photo (none, one, several, failed) or "unprocessed".</summary>
    public string? Detection { get; init; }
    /// <summary>Where the image is on its way through the crowd and the experts, the furthest step it reached
    /// (one of <see cref="CrowdStates"/>; the states do not overlap): <c>not-sent</c> (no crowd task),
    /// <c>queued</c> (an open task nobody answered yet), <c>answered</c> (an open task with answers, waiting for
    /// more), <c>consolidated</c> (the crowd's answers resolved a result), <c>escalated</c> (the crowd could not
    /// agree; it waits for an expert), <c>expert-confirmed</c> (an expert's standing decision confirms a label).</summary>
    public string? CrowdState { get; init; }

    public static readonly IReadOnlyList<string> Splits = ["train", "test"];
    public static readonly IReadOnlyList<string> CrowdStates = ["not-sent", "queued", "answered", "consolidated", "escalated", "expert-confirmed"];
    public static readonly IReadOnlyList<string> DetectionOutcomes = ["none", "one", "several", "failed", "unprocessed"];
}

/// <summary>One page of a keyset-paged listing: at most <see cref="Limit"/> images with ids after <see cref="After"/>.</summary>
public sealed record BrowseQuery(BrowseFilter Filter, string? After, int Limit);

/// <summary>A catalog listing line: the image, its first source, its current label and where it came from.</summary>
public sealed record BrowseRow(ImageRecord Image, string? Source, string? FileName, string? Label, LabelStatus? LabelStatus, Provenance? LabelProvenance, string? SetId, string? DateTaken);

/// <param name="Next">The id to page on from (the last row's) when there may be more; null at the end.</param>
public sealed record BrowsePage(IReadOnlyList<BrowseRow> Rows, string? Next);

/// <summary>Values the filters can take: the sources and labels the catalog knows.</summary>
public sealed record BrowseFacets(IReadOnlyList<string> Sources, IReadOnlyList<string> Labels);

/// <summary>A detection box drawn on the image page (coordinates in the photo's oriented pixels).</summary>
public sealed record DetectionBox(string ModelSha256, int Rank, string ClassName, double Score, double X1, double Y1, double X2, double Y2, string Role, string? CropId);

/// <summary>A label record with whether an undo retracted it.</summary>
public sealed record LabelHistoryLine(LabelRecord Label, string? RetractedBy);

/// <summary>A manifest that holds the image (or a crop of it), as which class in which split.</summary>
public sealed record ManifestUse(string ManifestId, string Name, DateTimeOffset CreatedAt, string ImageId, string Class, string Split);

/// <summary>Everything the image page shows beyond <see cref="ImageDetails"/>.</summary>
public sealed record ImageUsage(
    IReadOnlyList<DetectionBox> Detections,
    IReadOnlyList<string> Crops,
    IReadOnlyList<LabelHistoryLine> LabelHistory,
    IReadOnlyList<string> SetMembers,
    IReadOnlyList<ManifestUse> Manifests);

/// <summary>Read-only queries for the dashboard: a filtered, keyset-paged catalog and one image's uses.</summary>
public interface ICatalogBrowser
{
    Task<BrowsePage> BrowseAsync(BrowseQuery query, CancellationToken cancellationToken);

    Task<BrowseFacets> FacetsAsync(CancellationToken cancellationToken);

    /// <summary>Detections, crops, label history, set members (up to <paramref name="maxMembers"/>) and manifests of one image.</summary>
    Task<ImageUsage> UsageAsync(string imageId, int maxMembers, CancellationToken cancellationToken);

    /// <summary>A short text that changes whenever a manifest, an evaluation, an alias or a version status is
    /// recorded: what live pages poll.</summary>
    Task<string> ChangeStampAsync(CancellationToken cancellationToken);
}
