using System.Data;
using System.Globalization;
using System.Text.Json;
using Dapper;
using System.Data.Common;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Datasets;

namespace Skillmaker.Storage;

/// <summary>Dataset candidates, split ledger and manifests beside the workspace's catalog, in portable
/// SQL (SQLite or PostgreSQL).</summary>
public sealed class SqlDatasetStore(SqlCatalog catalog) : IDatasetStore
{
    public async Task<IReadOnlyList<DatasetCandidate>> GetCandidatesAsync(ImageKind kind, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var images = (await connection.QueryAsync<(string Id, string? ParentId, long Width, long Height, string? Cluster)>(new CommandDefinition(
            "SELECT id, parent_id, width, height, near_dup_cluster FROM images WHERE kind = @kind ORDER BY id",
            new { kind = SqlCatalog.KindName(kind) }, cancellationToken: cancellationToken))).ToList();
        var parents = (await connection.QueryAsync<(string Id, string? Cluster)>(new CommandDefinition(
            "SELECT p.id, p.near_dup_cluster FROM images p WHERE p.id IN (SELECT parent_id FROM images WHERE kind = @kind AND parent_id IS NOT NULL)",
            new { kind = SqlCatalog.KindName(kind) }, cancellationToken: cancellationToken))).ToDictionary(p => p.Id, p => p.Cluster);
        var setFields = (await connection.QueryAsync<(string ImageId, string Value, string Provenance, string Actor, string RecordedAt)>(new CommandDefinition(
            "SELECT image_id, value, provenance, actor, recorded_at FROM image_fields WHERE field = @field ORDER BY id",
            new { field = Fields.SetId }, cancellationToken: cancellationToken)))
            .Select(r => new FieldValue
            {
                ImageId = r.ImageId, Field = Fields.SetId, Value = r.Value, Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance), Actor = r.Actor,
                RecordedAt = DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture),
            }).ToLookup(f => f.ImageId);
        var labels = (await connection.QueryAsync<(string ImageId, string Label, string Status, string Provenance, string RecordedAt, long Id)>(new CommandDefinition(
            "SELECT image_id, label, status, provenance, recorded_at, id FROM labels WHERE id NOT IN (SELECT label_id FROM label_retractions) ORDER BY id", cancellationToken: cancellationToken)))
            .ToLookup(l => l.ImageId);
        // Latest consolidated crowd answer per crop; an unsure one is no answer.
        var crowd = (await connection.QueryAsync<(string ImageId, string Content, string Quality)>(new CommandDefinition(
            "SELECT image_id, content, quality FROM crowd_results WHERE id IN (SELECT MAX(id) FROM crowd_results GROUP BY image_id)", cancellationToken: cancellationToken)))
            .ToDictionary(c => c.ImageId, StringComparer.Ordinal);

        // Which crop is its photo's subject: only the subject inherits the photo's label hints.
        var subjects = (await connection.QueryAsync<(string CropId, long Subject)>(new CommandDefinition(
            "SELECT crop_id, subject FROM crop_attributions", cancellationToken: cancellationToken)))
            .ToDictionary(a => a.CropId, a => a.Subject == 1, StringComparer.Ordinal);
        var cropsPerParent = (await connection.QueryAsync<(string ParentId, long Crops)>(new CommandDefinition(
            "SELECT parent_id, COUNT(*) FROM images WHERE parent_id IS NOT NULL GROUP BY parent_id", cancellationToken: cancellationToken)))
            .ToDictionary(r => r.ParentId, r => (int)r.Crops, StringComparer.Ordinal);
        var sources = (await connection.QueryAsync<(string ImageId, string Source)>(new CommandDefinition(
            "SELECT DISTINCT image_id, source FROM image_occurrences", cancellationToken: cancellationToken)))
            .ToLookup(o => o.ImageId, o => o.Source);

        var result = new List<DatasetCandidate>(images.Count);
        foreach (var image in images)
        {
            var owner = image.ParentId ?? image.Id;
            var setId = FieldResolution.Effective(setFields[owner], Fields.SetId)?.Value ?? $"single:{owner[..16]}";
            // The latest decision by the most trusted kind of person wins; undo is a newer decision.
            var decision = labels[image.Id].Where(l => l.Status is "confirmed" or "rejected")
                .OrderByDescending(l => ProvenanceExtensions.ParseProvenance(l.Provenance).Trust()).ThenByDescending(l => l.Id).FirstOrDefault();
            bool? subject = image.ParentId is null ? null : subjects.TryGetValue(image.Id, out var isSubject) ? isSubject : null;
            // Not attributed (a crop no detection made, or one cut before attribution): it carries the photo's
            // labels only when it is the photo's only crop.
            var inherits = subject ?? (image.ParentId is { } pp && cropsPerParent.GetValueOrDefault(pp) == 1);
            var photoHints = (image.ParentId is { } p ? labels[p] : []).Where(l => l.Status == "hint").Select(l => l.Label).Distinct().Order(StringComparer.Ordinal).ToList();
            var hints = labels[image.Id].Where(l => l.Status == "hint").Select(l => l.Label).Concat(inherits ? photoHints : [])
                .Distinct().Order(StringComparer.Ordinal).ToList();
            var clusters = new List<string>();
            if (image.Cluster is { } c) clusters.Add(c);
            if (image.ParentId is { } pid && parents.TryGetValue(pid, out var pc) && pc is not null) clusters.Add(pc);
            result.Add(new DatasetCandidate
            {
                ImageId = image.Id,
                Kind = kind,
                ParentId = image.ParentId,
                Width = (int)image.Width,
                Height = (int)image.Height,
                SetId = setId,
                NearDuplicateClusters = [.. clusters.Distinct()],
                ConfirmedLabel = decision.Status == "confirmed" ? decision.Label : null,
                Rejected = decision.Status == "rejected",
                LabelHints = hints,
                PhotoSubject = subject,
                PhotoLabelHints = photoHints,
                Sources = [.. sources[image.Id].Concat(sources[owner]).Distinct().Order(StringComparer.Ordinal)],
                CrowdContent = crowd.TryGetValue(image.Id, out var cr) && cr.Content != Crowd.CrowdQuestions.Unsure ? cr.Content : null,
                CrowdQuality = crowd.TryGetValue(image.Id, out var cq) ? cq.Quality : null,
            });
        }
        return result;
    }

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Atom, string Split, string Reason, string ManifestId, string RecordedAt)>(new CommandDefinition(
            "SELECT atom, split, reason, manifest_id, recorded_at FROM split_ledger ORDER BY seq", cancellationToken: cancellationToken));
        return [.. rows.Select(r => new LedgerEntry(r.Atom, ParseSplit(r.Split), r.Reason, r.ManifestId, DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture)))];
    }

    public async Task<IReadOnlySet<string>> GetImagesEverInTestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT image_id FROM manifest_items WHERE split = 'test'", cancellationToken: cancellationToken));
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    public async Task<bool> SaveManifestAsync(DatasetManifest manifest, IReadOnlyList<LedgerEntry> newEntries, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await catalog.Database.LockAsync(connection, tx, "split-ledger", cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO manifests (id, name, created_at, body) VALUES (@Id, @Name, @createdAt, @body) ON CONFLICT (id) DO NOTHING",
            new { manifest.Id, manifest.Name, createdAt = SqlCatalog.Iso(manifest.CreatedAt), body = JsonSerializer.Serialize(manifest with { Items = [] }, DatasetManifest.JsonOptions) },
            tx, cancellationToken: cancellationToken));
        if (inserted == 0) return false;
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO manifest_items (manifest_id, image_id, class, split, grp) VALUES (@manifestId, @ImageId, @Class, @split, @Group)",
            manifest.Items.Select(i => new { manifestId = manifest.Id, i.ImageId, i.Class, split = SplitName(i.Split), i.Group }),
            tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO split_ledger (atom, split, reason, manifest_id, recorded_at) VALUES (@Atom, @split, @Reason, @ManifestId, @recordedAt)",
            newEntries.Select(e => new { e.Atom, split = SplitName(e.Split), e.Reason, e.ManifestId, recordedAt = SqlCatalog.Iso(e.RecordedAt) }),
            tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<DatasetManifest?> GetManifestAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM manifests WHERE substr(id, 1, @length) = @p ORDER BY id LIMIT 2", new { p = idOrPrefix, length = idOrPrefix.Length }, cancellationToken: cancellationToken))).ToList();
        return ids.Count switch
        {
            0 => null,
            1 => await LoadAsync(connection, ids[0], cancellationToken),
            _ => throw new SkillmakerException($"Manifest id prefix {idOrPrefix} is ambiguous; give more characters."),
        };
    }

    public async Task<IReadOnlyList<DatasetManifest>> GetAllManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition("SELECT id FROM manifests ORDER BY created_at, id", cancellationToken: cancellationToken));
        var result = new List<DatasetManifest>();
        foreach (var id in ids) result.Add(await LoadAsync(connection, id, cancellationToken));
        return result;
    }

    public async Task<IReadOnlyList<ManifestInfo>> ListManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Name, string CreatedAt, long Items, long Train, long Test, long Classes)>(new CommandDefinition(
            """
            SELECT m.id, m.name, m.created_at, COUNT(i.image_id), SUM(CASE WHEN i.split = 'train' THEN 1 ELSE 0 END), SUM(CASE WHEN i.split = 'test' THEN 1 ELSE 0 END), COUNT(DISTINCT i.class)
            FROM manifests m LEFT JOIN manifest_items i ON i.manifest_id = m.id
            GROUP BY m.id, m.name, m.created_at ORDER BY m.created_at, m.id
            """, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ManifestInfo(r.Id, r.Name, DateTimeOffset.Parse(r.CreatedAt, CultureInfo.InvariantCulture), (int)r.Items, (int)r.Train, (int)r.Test, (int)r.Classes))];
    }

    private static async Task<DatasetManifest> LoadAsync(DbConnection connection, string id, CancellationToken cancellationToken)
    {
        var body = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT body FROM manifests WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        var manifest = JsonSerializer.Deserialize<DatasetManifest>(body!, DatasetManifest.JsonOptions)!;
        var items = await connection.QueryAsync<(string ImageId, string? ParentId, string Class, string Split, string Group)>(new CommandDefinition(
            "SELECT i.image_id, im.parent_id, i.class, i.split, i.grp FROM manifest_items i JOIN images im ON im.id = i.image_id WHERE i.manifest_id = @id ORDER BY i.image_id",
            new { id }, cancellationToken: cancellationToken));
        return manifest with { Items = [.. items.Select(i => new ManifestItem(i.ImageId, i.ParentId, i.Class, ParseSplit(i.Split), i.Group))] };
    }

    private static string SplitName(Split split) => split == Split.Test ? "test" : "train";
    private static Split ParseSplit(string value) => value == "test" ? Split.Test : Split.Train;
}
