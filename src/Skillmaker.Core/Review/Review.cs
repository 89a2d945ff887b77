using Skillmaker.Catalog;

namespace Skillmaker.Review;

/// <summary>The current expert decision on a crop (after undos).</summary>
public sealed record ReviewDecision(string Label, LabelStatus Status, string Actor, DateTimeOffset RecordedAt);

/// <summary>A crop as the review grid shows it.</summary>
public sealed record ReviewItem
{
    public required string CropId { get; init; }
    public string? ParentId { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>The grid group: the first label hint of the crop or its parent photo.</summary>
    public required string Group { get; init; }
    public IReadOnlyList<string> Hints { get; init; } = [];
    public ReviewDecision? Decision { get; init; }
    public string? CrowdContent { get; init; }
    public string? CrowdQuality { get; init; }
    /// <summary>True when the crowd ended unsure and gave the crop to the expert.</summary>
    public bool CrowdEscalated { get; init; }
    /// <summary>How the photo's labels were attributed to this crop (subject or background, and why); null
    /// when not attributed.</summary>
    public string? Attribution { get; init; }
    /// <summary>The photo's label hints that this crop does not carry (it is not the photo's subject).</summary>
    public IReadOnlyList<string> PhotoHintsWithheld { get; init; } = [];
    /// <summary>Where the crop's photo came from (its ingest source); null when unknown.</summary>
    public string? Source { get; init; }
    /// <summary>The detector's score for the crop's box (the highest when several models cut it); null when unknown.</summary>
    public double? Confidence { get; init; }

    /// <summary>Crops whose shorter side is under this many pixels are flagged small: background cars and slivers.</summary>
    public const int SmallSide = 100;

    /// <summary>The shorter side is under <see cref="SmallSide"/> pixels.</summary>
    public bool IsSmall => Math.Min(Width, Height) < SmallSide;
}

public sealed record ReviewGroup(string Name, int Total, int Undecided);

public sealed record ReviewQuery
{
    public string? Group { get; init; }
    /// <summary>Only this crop (the review grid opened on one crop, e.g. from a failure on the dashboard).</summary>
    public string? CropId { get; init; }
    /// <summary>Also show crops that already have a decision. Default false: the grid is a to-do list.</summary>
    public bool IncludeDecided { get; init; }
    public int Offset { get; init; }
    /// <summary>Crops per page. Default 48.</summary>
    public int Limit { get; init; } = 48;
    /// <summary>Only crops whose photo came from this ingest source.</summary>
    public string? Source { get; init; }
    /// <summary>Only crops whose shorter side is at least this many pixels.</summary>
    public int? MinSide { get; init; }
    /// <summary>Only crops whose shorter side is at most this many pixels.</summary>
    public int? MaxSide { get; init; }
    /// <summary>Only crops with a detector score of at least this (crops without a score are left out).</summary>
    public double? MinConfidence { get; init; }
    /// <summary>Only crops with a detector score below this (crops without a score are left out).</summary>
    public double? BelowConfidence { get; init; }

    /// <summary>Whether <paramref name="item"/> passes the group, decided and filter conditions.</summary>
    public bool Matches(ReviewItem item) =>
        (Group is null || item.Group == Group)
        && (CropId is null || item.CropId == CropId)
        && (IncludeDecided || item.Decision is null)
        && (Source is null || item.Source == Source)
        && (MinSide is not { } min || Math.Min(item.Width, item.Height) >= min)
        && (MaxSide is not { } max || Math.Min(item.Width, item.Height) <= max)
        && (MinConfidence is not { } lo || item.Confidence >= lo)
        && (BelowConfidence is not { } hi || item.Confidence < hi);
}

/// <summary>One expert action: the label records it wrote, so that undo can retract exactly them.</summary>
public sealed record ReviewBatch(string BatchId, string Actor, string Action, int Crops, DateTimeOffset RecordedAt, bool Undone);

/// <summary>Review decisions live in the catalog's label history: a decision is a new label record
/// (provenance expert); undo is a retraction record that makes the previous state current again.
/// Nothing is ever deleted.</summary>
public interface IReviewStore
{
    Task<IReadOnlyList<ReviewGroup>> GetGroupsAsync(CancellationToken cancellationToken);
    Task<IReadOnlyList<ReviewItem>> GetItemsAsync(ReviewQuery query, CancellationToken cancellationToken);
    /// <summary>Writes the labels of one batch in one transaction; throws when a crop is not a crop in the catalog.</summary>
    Task RecordAsync(string batchId, string action, IReadOnlyList<LabelRecord> labels, CancellationToken cancellationToken);
    /// <summary>Retracts a batch's labels; returns how many were retracted (0 when already undone). Throws
    /// <see cref="Common.NotAllowedException"/> when <paramref name="actor"/> did not make the batch and
    /// <paramref name="anyOwner"/> (an admin) is false.</summary>
    Task<int> UndoAsync(string batchId, string actor, bool anyOwner, DateTimeOffset now, CancellationToken cancellationToken);
    Task<IReadOnlyList<ReviewBatch>> GetRecentBatchesAsync(string actor, int limit, CancellationToken cancellationToken);
    /// <summary>Every label seen as a hint or decision, for autocomplete.</summary>
    Task<IReadOnlyList<string>> GetKnownLabelsAsync(CancellationToken cancellationToken);
    /// <summary>The ingest sources of the photos that crops were cut from, for the grid's filter.</summary>
    Task<IReadOnlyList<string>> GetSourcesAsync(CancellationToken cancellationToken);
    /// <summary>The image's label records that an undo retracted, with who undid them and when.</summary>
    Task<IReadOnlyList<LabelRetraction>> GetRetractionsAsync(string imageId, CancellationToken cancellationToken);
}

/// <summary>A label record that no longer counts: <see cref="Actor"/> undid it at <see cref="RecordedAt"/>.</summary>
public sealed record LabelRetraction(LabelRecord Label, string Actor, DateTimeOffset RecordedAt);
