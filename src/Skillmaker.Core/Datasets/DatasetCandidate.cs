using Skillmaker.Catalog;

namespace Skillmaker.Datasets;

/// <summary>An image that may enter a dataset, with what grouping and labelling need to know. For a
/// crop, set id and near-duplicate clusters include its parent photo's.</summary>
public sealed record DatasetCandidate
{
    public required string ImageId { get; init; }
    public required ImageKind Kind { get; init; }
    public string? ParentId { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>Effective set id (of the parent photo for a crop).</summary>
    public required string SetId { get; init; }
    /// <summary>Near-duplicate clusters the image or its parent belongs to.</summary>
    public IReadOnlyList<string> NearDuplicateClusters { get; init; } = [];
    /// <summary>The label a person decided (latest confirmed), or null.</summary>
    public string? ConfirmedLabel { get; init; }
    /// <summary>True when a reviewer rejected the image: it never enters a dataset.</summary>
    public bool Rejected { get; init; }
    /// <summary>Label hints that apply to the image (what sources claimed): its own, and for a crop that
    /// is its photo's subject, the photo's.</summary>
    public IReadOnlyList<string> LabelHints { get; init; } = [];
    /// <summary>For a crop: true when it is its photo's subject (the photo's labels are its own), false for
    /// a background vehicle or an ambiguous photo, null when not attributed yet (or not a crop).</summary>
    public bool? PhotoSubject { get; init; }
    /// <summary>For a crop: the parent photo's label hints, whether or not they were attributed to it.</summary>
    public IReadOnlyList<string> PhotoLabelHints { get; init; } = [];
    /// <summary>Sources the image (or its parent photo) came from.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];
    /// <summary>Consolidated crowd answers, when the crowd has seen the image.</summary>
    public string? CrowdContent { get; init; }
    public string? CrowdQuality { get; init; }
}
