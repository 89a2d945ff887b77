using Skillmaker.Catalog;
using Skillmaker.Common;
using System.Text.RegularExpressions;

namespace Skillmaker.Review;


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

    /// <summary>Undoes a batch of <paramref name="actor"/>'s; an admin (<paramref name="isAdmin"/>) may undo anyone's.</summary>
    public Task<int> UndoAsync(string batchId, string actor, bool isAdmin, CancellationToken cancellationToken) =>
        store.UndoAsync(batchId, actor, isAdmin, time.GetUtcNow(), cancellationToken);

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
