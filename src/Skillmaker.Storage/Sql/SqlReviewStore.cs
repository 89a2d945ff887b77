using System.Globalization;
using Dapper;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Review;

namespace Skillmaker.Storage;

/// <summary>Review decisions as label records in the catalog (SQLite or PostgreSQL), with batches and retractions for undo.</summary>
public sealed class SqlReviewStore(SqlCatalog catalog) : IReviewStore
{
    public const string NoHintGroup = "(no hint)";

    public async Task<IReadOnlyList<ReviewGroup>> GetGroupsAsync(CancellationToken cancellationToken)
    {
        var all = await LoadAsync(cancellationToken);
        return [.. all.GroupBy(i => i.Group, StringComparer.Ordinal).OrderBy(g => g.Key == NoHintGroup).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReviewGroup(g.Key, g.Count(), g.Count(i => i.Decision is null)))];
    }

    public async Task<IReadOnlyList<ReviewItem>> GetItemsAsync(ReviewQuery query, CancellationToken cancellationToken)
    {
        var all = await LoadAsync(cancellationToken);
        // Crops the crowd escalated (unsure twice) and nobody decided yet come first: they wait for an expert.
        return [.. all.Where(query.Matches)
            .OrderByDescending(i => i.CrowdEscalated && i.Decision is null)
            .Skip(query.Offset).Take(Math.Clamp(query.Limit, 1, 500))];
    }

    public async Task RecordAsync(string batchId, string action, IReadOnlyList<LabelRecord> labels, CancellationToken cancellationToken)
    {
        if (labels.Count == 0) return;
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        var ids = labels.Select(l => l.ImageId).Distinct().ToList();
        var crops = (await connection.QueryAsync<string>(new CommandDefinition($"SELECT id FROM images WHERE kind = 'crop' AND {catalog.In("id", "ids")}",
            new { ids }, tx, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        var unknown = ids.Where(id => !crops.Contains(id)).ToList();
        if (unknown.Count > 0)
            throw new SkillmakerException($"{unknown.Count} selected id(s) are not crops in the catalog ({string.Join(", ", unknown.Take(3).Select(u => u.Length > 16 ? u[..16] : u))}); nothing was recorded.");
        var first = labels[0];
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO review_batches (batch_id, actor, action, recorded_at) VALUES (@batchId, @Actor, @action, @at)",
            new { batchId, first.Actor, action, at = SqlCatalog.Iso(first.RecordedAt) }, tx, cancellationToken: cancellationToken));
        foreach (var l in labels)
        {
            var labelId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at) VALUES (@ImageId, @Label, @status, @provenance, @Actor, @at) RETURNING id",
                new { l.ImageId, l.Label, status = SqlCatalog.StatusName(l.Status), provenance = l.Provenance.ToWire(), l.Actor, at = SqlCatalog.Iso(l.RecordedAt) },
                tx, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO review_batch_labels (batch_id, label_id) VALUES (@batchId, @labelId)",
                new { batchId, labelId }, tx, cancellationToken: cancellationToken));
        }
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<int> UndoAsync(string batchId, string actor, bool anyOwner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        var owner = await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT actor FROM review_batches WHERE batch_id = @batchId",
            new { batchId }, tx, cancellationToken: cancellationToken));
        if (owner is null) throw new SkillmakerException($"Review action {batchId} is unknown; nothing was undone.");
        if (!anyOwner && !string.Equals(owner, actor, StringComparison.Ordinal))
            throw new NotAllowedException($"Review action {batchId} was made by another expert; only they or an admin can undo it. Nothing was undone.");
        var n = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO label_retractions (label_id, batch_id, actor, recorded_at)
            SELECT label_id, @batchId, @actor, @at FROM review_batch_labels WHERE batch_id = @batchId
            ON CONFLICT (label_id) DO NOTHING
            """, new { batchId, actor, at = SqlCatalog.Iso(now) }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return n;
    }

    public async Task<IReadOnlyList<ReviewBatch>> GetRecentBatchesAsync(string actor, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string BatchId, string Actor, string Action, string At, long Crops, long Retracted)>(new CommandDefinition(
            """
            SELECT b.batch_id, b.actor, b.action, b.recorded_at, COUNT(bl.label_id), COUNT(r.label_id)
            FROM review_batches b JOIN review_batch_labels bl ON bl.batch_id = b.batch_id LEFT JOIN label_retractions r ON r.label_id = bl.label_id
            WHERE b.actor = @actor GROUP BY b.batch_id, b.actor, b.action, b.recorded_at
            ORDER BY b.recorded_at DESC, MAX(bl.label_id) DESC LIMIT @limit
            """, new { actor, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ReviewBatch(r.BatchId, r.Actor, r.Action, (int)r.Crops, DateTimeOffset.Parse(r.At, CultureInfo.InvariantCulture), r.Retracted == r.Crops))];
    }

    public async Task<IReadOnlyList<string>> GetKnownLabelsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT label FROM labels WHERE status <> 'rejected' ORDER BY label", cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<string>> GetSourcesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT DISTINCT o.source FROM image_occurrences o
            WHERE o.image_id IN (SELECT parent_id FROM images WHERE kind = 'crop' AND parent_id IS NOT NULL) ORDER BY o.source
            """, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<LabelRetraction>> GetRetractionsAsync(string imageId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string ImageId, string Label, string Status, string Provenance, string Actor, string At, string By, string RetractedAt)>(new CommandDefinition(
            """
            SELECT l.image_id, l.label, l.status, l.provenance, l.actor, l.recorded_at, r.actor, r.recorded_at
            FROM labels l JOIN label_retractions r ON r.label_id = l.id WHERE l.image_id = @imageId ORDER BY l.id
            """, new { imageId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new LabelRetraction(new LabelRecord
        {
            ImageId = r.ImageId, Label = r.Label, Status = Enum.Parse<LabelStatus>(r.Status, ignoreCase: true), Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance),
            Actor = r.Actor, RecordedAt = DateTimeOffset.Parse(r.At, CultureInfo.InvariantCulture),
        }, r.By, DateTimeOffset.Parse(r.RetractedAt, CultureInfo.InvariantCulture)))];
    }

    private async Task<List<ReviewItem>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var crops = await connection.QueryAsync<(string Id, string? ParentId, long Width, long Height)>(new CommandDefinition(
            "SELECT id, parent_id, width, height FROM images WHERE kind = 'crop' ORDER BY ingested_at, id", cancellationToken: cancellationToken));
        var labels = (await connection.QueryAsync<(long Id, string ImageId, string Label, string Status, string Provenance, string Actor, string At)>(new CommandDefinition(
            """
            SELECT id, image_id, label, status, provenance, actor, recorded_at FROM labels
            WHERE id NOT IN (SELECT label_id FROM label_retractions) ORDER BY id
            """, cancellationToken: cancellationToken))).ToLookup(l => l.ImageId, StringComparer.Ordinal);
        var crowd = (await connection.QueryAsync<(string ImageId, string Content, string Quality, string Outcome)>(new CommandDefinition(
            "SELECT image_id, content, quality, outcome FROM crowd_results WHERE id IN (SELECT MAX(id) FROM crowd_results GROUP BY image_id)",
            cancellationToken: cancellationToken))).ToDictionary(c => c.ImageId, StringComparer.Ordinal);
        var subjects = (await connection.QueryAsync<(string CropId, long Subject, string Reason)>(new CommandDefinition(
            "SELECT crop_id, subject, reason FROM crop_attributions", cancellationToken: cancellationToken)))
            .ToDictionary(a => a.CropId, a => (Subject: a.Subject == 1, a.Reason), StringComparer.Ordinal);
        // A photo seen under several sources counts under the first by name: one source per crop keeps the filter simple.
        var sources = (await connection.QueryAsync<(string ImageId, string Source)>(new CommandDefinition(
            """
            SELECT o.image_id, MIN(o.source) FROM image_occurrences o
            WHERE o.image_id IN (SELECT parent_id FROM images WHERE kind = 'crop' AND parent_id IS NOT NULL) GROUP BY o.image_id
            """, cancellationToken: cancellationToken))).ToDictionary(s => s.ImageId, s => s.Source, StringComparer.Ordinal);
        var scores = (await connection.QueryAsync<(string CropId, double Score)>(new CommandDefinition(
            "SELECT crop_id, MAX(score) FROM detections WHERE crop_id IS NOT NULL GROUP BY crop_id", cancellationToken: cancellationToken)))
            .ToDictionary(s => s.CropId, s => s.Score, StringComparer.Ordinal);
        var cropsPerParent = crops.Where(c => c.ParentId is not null).GroupBy(c => c.ParentId!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var items = new List<ReviewItem>();
        foreach (var c in crops)
        {
            // A photo's label hints belong to its subject only (see crop_attributions); a crop not attributed
            // carries them only when it is the photo's only crop.
            var attributed = subjects.TryGetValue(c.Id, out var a);
            var inherits = attributed ? a.Subject : c.ParentId is { } pp && cropsPerParent.GetValueOrDefault(pp) == 1;
            var photoHints = (c.ParentId is { } p ? labels[p] : []).Where(l => l.Status == "hint").Select(l => l.Label).Distinct().ToList();
            var hints = labels[c.Id].Where(l => l.Status == "hint").Select(l => l.Label).Concat(inherits ? photoHints : []).Distinct().ToList();
            var decision = labels[c.Id].Where(l => l.Status is "confirmed" or "rejected" && l.Provenance == "expert").OrderByDescending(l => l.Id).Select(l => new ReviewDecision(
                l.Label, l.Status == "confirmed" ? LabelStatus.Confirmed : LabelStatus.Rejected, l.Actor, DateTimeOffset.Parse(l.At, CultureInfo.InvariantCulture))).FirstOrDefault();
            crowd.TryGetValue(c.Id, out var cr);
            items.Add(new ReviewItem
            {
                CropId = c.Id, ParentId = c.ParentId, Width = (int)c.Width, Height = (int)c.Height,
                Group = hints.Count > 0 ? hints[0] : NoHintGroup, Hints = hints, Decision = decision,
                CrowdContent = cr.ImageId is null ? null : cr.Content, CrowdQuality = cr.ImageId is null ? null : cr.Quality,
                CrowdEscalated = cr.Outcome == "escalated",
                Attribution = attributed ? a.Reason : null,
                PhotoHintsWithheld = inherits ? [] : photoHints,
                Source = c.ParentId is { } sp && sources.TryGetValue(sp, out var source) ? source : null,
                Confidence = scores.TryGetValue(c.Id, out var score) ? score : null,
            });
        }
        return items;
    }
}
