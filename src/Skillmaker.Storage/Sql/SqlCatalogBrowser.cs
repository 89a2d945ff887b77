using System.Globalization;
using System.Text;
using Dapper;
using Skillmaker.Catalog;
using Skillmaker.Common;

namespace Skillmaker.Storage;

/// <summary>The dashboard's catalog queries in portable SQL (SQLite or PostgreSQL). Pages are keyset-paged on
/// the images' primary key, and every filter is an EXISTS probe on an index that starts with the image id,
/// so a page costs the same on the first and the thousandth page.</summary>
public sealed class SqlCatalogBrowser(SqlCatalog catalog) : ICatalogBrowser
{
    public async Task<BrowsePage> BrowseAsync(BrowseQuery query, CancellationToken cancellationToken)
    {
        var f = query.Filter;
        var where = new List<string>();
        var args = new DynamicParameters();
        if (query.After is { } after) { where.Add("i.id > @after"); args.Add("after", after); }
        if (f.Kind is { } kind) { where.Add("i.kind = @kind"); args.Add("kind", SqlCatalog.KindName(kind)); }
        if (f.MinWidth is { } w) { where.Add("i.width >= @minWidth"); args.Add("minWidth", (long)w); }
        if (f.MinHeight is { } h) { where.Add("i.height >= @minHeight"); args.Add("minHeight", (long)h); }
        if (f.Source is { } source)
        {
            where.Add("EXISTS (SELECT 1 FROM image_occurrences o WHERE o.image_id = i.id AND o.source = @source)");
            args.Add("source", source);
        }
        if (f.Label is not null || f.LabelProvenance is not null || f.LabelStatus is not null)
        {
            // With a label, the label index finds its images; without, each image is probed.
            var label = new StringBuilder(f.Label is not null
                ? "i.id IN (SELECT l.image_id FROM labels l WHERE l.label = @label"
                : "EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id");
            if (f.Label is { } l) args.Add("label", l);
            label.Append(" AND NOT EXISTS (SELECT 1 FROM label_retractions r WHERE r.label_id = l.id)");
            if (f.LabelProvenance is { } p) { label.Append(" AND l.provenance = @provenance"); args.Add("provenance", p.ToWire()); }
            if (f.LabelStatus is { } s) { label.Append(" AND l.status = @status"); args.Add("status", SqlCatalog.StatusName(s)); }
            where.Add(label.Append(')').ToString());
        }
        if (f.Split is { } split)
        {
            where.Add("EXISTS (SELECT 1 FROM manifest_items m WHERE m.image_id = i.id AND m.split = @split)");
            args.Add("split", split);
        }
        if (f.SetId is { } set)
        {
            // The image's own set id, or its parent photo's (a crop's).
            where.Add("""
                i.id IN (SELECT s.image_id FROM image_fields s WHERE s.field = 'set_id' AND s.value = @set
                         UNION SELECT c.id FROM images c WHERE c.parent_id IN (SELECT p.image_id FROM image_fields p WHERE p.field = 'set_id' AND p.value = @set))
                """);
            args.Add("set", set);
        }
        if (f.TakenFrom is not null || f.TakenTo is not null)
        {
            // Dates are ISO 8601 text: a day range is a text range on the (field, value) index.
            var taken = new StringBuilder("i.id IN (SELECT d.image_id FROM image_fields d WHERE d.field = 'date_taken'");
            if (f.TakenFrom is { } from) { taken.Append(" AND d.value >= @takenFrom"); args.Add("takenFrom", from); }
            if (f.TakenTo is { } to)
            {
                taken.Append(" AND d.value < @takenBefore");
                args.Add("takenBefore", DateOnly.ParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }
            where.Add(taken.Append(')').ToString());
        }
        if (f.Detection is "unprocessed") where.Add("NOT EXISTS (SELECT 1 FROM detection_results d WHERE d.image_id = i.id)");
        else if (f.Detection is { } outcome)
        {
            where.Add("EXISTS (SELECT 1 FROM detection_results d WHERE d.image_id = i.id AND d.outcome = @outcome)");
            args.Add("outcome", outcome);
        }
        if (f.CrowdState is { } crowd) where.Add(CrowdStateSql(crowd));
        var limit = Math.Clamp(query.Limit, 1, 500);
        args.Add("limit", (long)limit + 1);
        var sql = $"SELECT i.id, i.kind, i.parent_id, i.byte_size, i.format, i.width, i.height, i.exif_orientation, i.phash, i.ingested_at FROM images i" +
                  (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY i.id LIMIT @limit";

        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string Id, string Kind, string? ParentId, long ByteSize, string Format, long Width, long Height, long Exif, long Phash, string IngestedAt)>(
            new CommandDefinition(sql, args, cancellationToken: cancellationToken))).ToList();
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        if (rows.Count == 0) return new BrowsePage([], null);

        var ids = rows.Select(r => r.Id).ToList();
        var occurrences = (await connection.QueryAsync<(string ImageId, string? Source, string? FileName)>(new CommandDefinition(
            $"SELECT image_id, source, original_file_name FROM image_occurrences WHERE {catalog.In("image_id", "ids")} ORDER BY seen_at",
            new { ids }, cancellationToken: cancellationToken))).ToLookup(o => o.ImageId);
        var labels = (await LabelsAsync(connection, ids, cancellationToken)).ToLookup(l => l.Label.ImageId);
        var fields = (await connection.QueryAsync<(string ImageId, string Field, string Value, string Provenance, string Actor, string RecordedAt)>(new CommandDefinition(
            $"SELECT image_id, field, value, provenance, actor, recorded_at FROM image_fields WHERE {catalog.In("image_id", "ids")} AND field IN ('set_id', 'date_taken')",
            new { ids }, cancellationToken: cancellationToken)))
            .Select(r => new FieldValue
            {
                ImageId = r.ImageId, Field = r.Field, Value = r.Value, Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance), Actor = r.Actor,
                RecordedAt = DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture),
            }).ToLookup(v => v.ImageId);

        var result = rows.Select(r =>
        {
            var first = occurrences[r.Id].FirstOrDefault();
            var current = CurrentLabel(labels[r.Id].Where(l => l.RetractedBy is null).Select(l => l.Label));
            var image = new ImageRecord
            {
                Id = r.Id, Kind = Enum.Parse<ImageKind>(r.Kind, ignoreCase: true), ParentId = r.ParentId, ByteSize = r.ByteSize, Format = r.Format,
                Width = (int)r.Width, Height = (int)r.Height, ExifOrientation = (int)r.Exif, PerceptualHash = unchecked((ulong)r.Phash),
                IngestedAt = DateTimeOffset.Parse(r.IngestedAt, CultureInfo.InvariantCulture),
            };
            return new BrowseRow(image, first.Source, first.FileName, current?.Label, current?.Status, current?.Provenance,
                FieldResolution.Effective(fields[r.Id], Fields.SetId)?.Value, FieldResolution.Effective(fields[r.Id], Fields.DateTaken)?.Value);
        }).ToList();
        return new BrowsePage(result, more ? result[^1].Image.Id : null);
    }

    // An expert's standing (not undone) confirmation: the last step, whatever the crowd said. The literals match the
    // partial index ix_labels_expert_confirmed.
    private const string ExpertConfirmed =
        "SELECT e.image_id FROM labels e WHERE e.provenance = 'expert' AND e.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM label_retractions x WHERE x.label_id = e.id)";

    /// <summary>The crowd state as a condition on <c>i</c>. The states are steps, each image in the furthest it
    /// reached, so they never overlap: an expert's confirmation wins; otherwise an open task (a crop is queued once,
    /// and a requeued round closes the task before it opens the next) is queued or answered, a closed round's result
    /// is consolidated or escalated, and no task at all is not sent. Each state is found from its own indexed rows
    /// (tasks by status, results by outcome, expert confirmations), so a rare state costs no scan of the catalog;
    /// the expert exclusion is a probe per candidate.</summary>
    private static string CrowdStateSql(string state)
    {
        const string notExpert = "NOT EXISTS (SELECT 1 FROM labels e WHERE e.image_id = i.id AND e.provenance = 'expert' AND e.status = 'confirmed' " +
                                 "AND NOT EXISTS (SELECT 1 FROM label_retractions x WHERE x.label_id = e.id))";
        return state switch
        {
            "expert-confirmed" => $"i.id IN ({ExpertConfirmed})",
            "escalated" => $"i.id IN (SELECT r.image_id FROM crowd_results r WHERE r.outcome = 'escalated') AND {notExpert}",
            "consolidated" => $"i.id IN (SELECT r.image_id FROM crowd_results r WHERE r.outcome = 'resolved') AND {notExpert}",
            "answered" => $"i.id IN (SELECT t.image_id FROM crowd_tasks t WHERE t.status = 'open' AND t.answer_count > 0) AND {notExpert}",
            "queued" => $"i.id IN (SELECT t.image_id FROM crowd_tasks t WHERE t.status = 'open' AND t.answer_count = 0) AND {notExpert}",
            "not-sent" => $"NOT EXISTS (SELECT 1 FROM crowd_tasks t WHERE t.image_id = i.id) AND {notExpert}",
            _ => throw new InvalidSettingException(null, "crowd", $"is '{state}'; expected one of {string.Join(", ", BrowseFilter.CrowdStates)}"),
        };
    }

    /// <summary>A person's latest decision wins over hints; among hints the latest.</summary>
    public static LabelRecord? CurrentLabel(IEnumerable<LabelRecord> labels)
    {
        LabelRecord? decided = null, hint = null;
        foreach (var l in labels)
        {
            if (l.Status == LabelStatus.Hint) hint = l;
            else decided = l;
        }
        return decided ?? hint;
    }

    public async Task<BrowseFacets> FacetsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var sources = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT source FROM image_occurrences ORDER BY source", cancellationToken: cancellationToken));
        var labels = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT label FROM labels ORDER BY label", cancellationToken: cancellationToken));
        return new BrowseFacets([.. sources], [.. labels]);
    }

    public async Task<ImageUsage> UsageAsync(string imageId, int maxMembers, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var detections = await connection.QueryAsync<(string Model, long Rank, string ClassName, double Score, double X1, double Y1, double X2, double Y2, string Role, string? CropId)>(new CommandDefinition(
            "SELECT model_sha256, rank, class_name, score, x1, y1, x2, y2, role, crop_id FROM detections WHERE image_id = @imageId ORDER BY model_sha256, rank",
            new { imageId }, cancellationToken: cancellationToken));
        var crops = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM images WHERE parent_id = @imageId ORDER BY id", new { imageId }, cancellationToken: cancellationToken));
        var history = await LabelsAsync(connection, [imageId], cancellationToken);
        var sets = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT value FROM image_fields WHERE field = 'set_id' AND image_id IN (@imageId, (SELECT parent_id FROM images WHERE id = @imageId))",
            new { imageId }, cancellationToken: cancellationToken))).ToList();
        var members = sets.Count == 0 ? [] : (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT DISTINCT image_id FROM image_fields WHERE field = 'set_id' AND {catalog.In("value", "sets")} ORDER BY image_id LIMIT @limit",
            new { sets, limit = (long)maxMembers }, cancellationToken: cancellationToken))).ToList();
        var manifests = await connection.QueryAsync<(string Id, string Name, string CreatedAt, string ImageId, string Class, string Split)>(new CommandDefinition(
            """
            SELECT m.id, m.name, m.created_at, mi.image_id, mi.class, mi.split FROM manifest_items mi JOIN manifests m ON m.id = mi.manifest_id
            WHERE mi.image_id = @imageId OR mi.image_id IN (SELECT id FROM images WHERE parent_id = @imageId)
            ORDER BY m.created_at, m.id, mi.image_id
            """, new { imageId }, cancellationToken: cancellationToken));
        return new ImageUsage(
            [.. detections.Select(d => new DetectionBox(d.Model, (int)d.Rank, d.ClassName, d.Score, d.X1, d.Y1, d.X2, d.Y2, d.Role, d.CropId))],
            [.. crops], history, members,
            [.. manifests.Select(m => new ManifestUse(m.Id, m.Name, DateTimeOffset.Parse(m.CreatedAt, CultureInfo.InvariantCulture), m.ImageId, m.Class, m.Split))]);
    }

    public async Task<string> ChangeStampAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var (manifests, evaluations, moves, statuses) = await connection.QuerySingleAsync<(long, long, long, long)>(new CommandDefinition(
            """
            SELECT (SELECT COUNT(*) FROM manifests), (SELECT COALESCE(MAX(seq), 0) FROM evaluations),
                   (SELECT COALESCE(MAX(seq), 0) FROM alias_history), (SELECT COALESCE(MAX(seq), 0) FROM version_status)
            """, cancellationToken: cancellationToken));
        return string.Create(CultureInfo.InvariantCulture, $"{manifests}.{evaluations}.{moves}.{statuses}");
    }

    private async Task<IReadOnlyList<LabelHistoryLine>> LabelsAsync(System.Data.Common.DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string ImageId, string Label, string Status, string Provenance, string Actor, string RecordedAt, string? RetractedBy)>(new CommandDefinition(
            $"SELECT l.image_id, l.label, l.status, l.provenance, l.actor, l.recorded_at, r.actor FROM labels l LEFT JOIN label_retractions r ON r.label_id = l.id WHERE {catalog.In("l.image_id", "ids")} ORDER BY l.id",
            new { ids }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new LabelHistoryLine(new LabelRecord
        {
            ImageId = r.ImageId, Label = r.Label, Status = Enum.Parse<LabelStatus>(r.Status, ignoreCase: true),
            Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance), Actor = r.Actor,
            RecordedAt = DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture),
        }, r.RetractedBy))];
    }
}
