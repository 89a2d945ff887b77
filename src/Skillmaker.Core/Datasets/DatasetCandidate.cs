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
    /// <summary>Label hints of the image and its parent (what sources claimed).</summary>
    public IReadOnlyList<string> LabelHints { get; init; } = [];
    /// <summary>Consolidated crowd answers, when the crowd has seen the image.</summary>
    public string? CrowdContent { get; init; }
    public string? CrowdQuality { get; init; }
}
