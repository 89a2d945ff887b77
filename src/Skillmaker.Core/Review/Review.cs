using System.Text.RegularExpressions;
using Skillmaker.Catalog;
using Skillmaker.Common;

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
}

public sealed record ReviewGroup(string Name, int Total, int Undecided);

public sealed record ReviewQuery
{
    public string? Group { get; init; }
    /// <summary>Also show crops that already have a decision. Default false: the grid is a to-do list.</summary>
    public bool IncludeDecided { get; init; }
    public int Offset { get; init; }
    /// <summary>Crops per page. Default 48.</summary>
    public int Limit { get; init; } = 48;
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
    /// <summary>Retracts a batch's labels; returns how many were retracted (0 when already undone).</summary>
    Task<int> UndoAsync(string batchId, string actor, DateTimeOffset now, CancellationToken cancellationToken);
    Task<IReadOnlyList<ReviewBatch>> GetRecentBatchesAsync(string actor, int limit, CancellationToken cancellationToken);
    /// <summary>Every label seen as a hint or decision, for autocomplete.</summary>
    Task<IReadOnlyList<string>> GetKnownLabelsAsync(CancellationToken cancellationToken);
}

public sealed partial class ReviewService(IReviewStore store, TimeProvider time)
{
    public Task<IReadOnlyList<ReviewGroup>> GroupsAsync(CancellationToken cancellationToken) => store.GetGroupsAsync(cancellationToken);
    public Task<IReadOnlyList<ReviewItem>> ItemsAsync(ReviewQuery query, CancellationToken cancellationToken) => store.GetItemsAsync(query, cancellationToken);
    public Task<IReadOnlyList<string>> KnownLabelsAsync(CancellationToken cancellationToken) => store.GetKnownLabelsAsync(cancellationToken);
    public Task<IReadOnlyList<ReviewBatch>> RecentAsync(string actor, CancellationToken cancellationToken) => store.GetRecentBatchesAsync(actor, 5, cancellationToken);

    /// <summary>Confirms the crops as <paramref name="label"/> (also how a relabel is stored).</summary>
    public Task<ReviewBatch> ConfirmAsync(IReadOnlyCollection<string> cropIds, string label, string actor, CancellationToken cancellationToken) =>
        DecideAsync(cropIds, ValidateLabel(label), LabelStatus.Confirmed, actor, cancellationToken);

    public Task<ReviewBatch> RejectAsync(IReadOnlyCollection<string> cropIds, string actor, CancellationToken cancellationToken) =>
        DecideAsync(cropIds, "rejected", LabelStatus.Rejected, actor, cancellationToken);

    public Task<int> UndoAsync(string batchId, string actor, CancellationToken cancellationToken) =>
        store.UndoAsync(batchId, actor, time.GetUtcNow(), cancellationToken);

    public static string ValidateLabel(string? label)
    {
        var trimmed = label?.Trim() ?? "";
        return LabelPattern().IsMatch(trimmed) ? trimmed
            : throw new SkillmakerException($"Label '{label}' is not valid; expected 1-80 characters: letters, digits, space, '_', '-', '.', '/'.");
    }

    private async Task<ReviewBatch> DecideAsync(IReadOnlyCollection<string> cropIds, string label, LabelStatus status, string actor, CancellationToken cancellationToken)
    {
        var ids = cropIds.Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) throw new SkillmakerException("No crops selected; select at least one crop.");
        if (ids.Count > 1000) throw new SkillmakerException($"{ids.Count} crops selected; at most 1000 per decision.");
        var now = time.GetUtcNow();
        var batch = $"rv-{now.ToUnixTimeMilliseconds()}-{Guid.NewGuid().ToString("N")[..8]}";
        var action = status == LabelStatus.Rejected ? "reject" : $"confirm:{label}";
        await store.RecordAsync(batch, action, [.. ids.Select(id => new LabelRecord
        {
            ImageId = id, Label = label, Status = status, Provenance = Provenance.Expert, Actor = actor, RecordedAt = now,
        })], cancellationToken);
        return new ReviewBatch(batch, actor, action, ids.Count, now, false);
    }

    [GeneratedRegex(@"^[\p{L}\p{N} _\-./]{1,80}$")]
    private static partial Regex LabelPattern();
}
