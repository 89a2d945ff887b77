using System.Data;
using System.Globalization;
using System.Text.Json;
using Dapper;
using System.Data.Common;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;

namespace Skillmaker.Storage;

/// <summary>The catalog in a SQL database: SQLite for one machine, PostgreSQL for many. The queries are
/// portable; <see cref="SqlDatabase"/> supplies the engine's connection, DDL and locking.</summary>
public sealed class SqlCatalog(SqlDatabase database, TimeProvider? time = null) : ICatalog
{
    public SqlDatabase Database { get; } = database;

    /// <summary>The clock of the stamps the catalog writes itself (migrations, crawl state).</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    public string Location => Database.Location;

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => Database.OpenAsync(cancellationToken);

    /// <summary>"column is one of @parameter (a list)" in the engine's dialect.</summary>
    public string In(string column, string parameter) => Database.InList(column, parameter);

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await Database.PrepareAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                module TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
                PRIMARY KEY (module, version))
            """, cancellationToken: cancellationToken));
        foreach (var module in Database.Modules)
        {
            var applied = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT version FROM schema_migrations WHERE module = @Name", new { module.Name }, cancellationToken: cancellationToken))).ToHashSet();
            var newest = module.Steps.Max(s => s.Version);
            if (applied.Count > 0 && applied.Max() > newest)
                throw new SkillmakerException($"Catalog {Location} has schema {module.Name} v{applied.Max()}, newer than this Skillmaker knows (v{newest}). Update Skillmaker.");
            foreach (var step in module.Steps.Where(s => !applied.Contains(s.Version)).OrderBy(s => s.Version))
            {
                // The lock makes a second process wait, then see the step as applied.
                await using var tx = await Database.BeginWriteAsync(connection, cancellationToken);
                await Database.LockAsync(connection, tx, "migrations", cancellationToken);
                var already = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM schema_migrations WHERE module = @module AND version = @Version",
                    new { module = module.Name, step.Version }, tx, cancellationToken: cancellationToken));
                if (already > 0) continue;
                await connection.ExecuteAsync(new CommandDefinition(step.Sql, transaction: tx, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (@module, @Version, @Description, @at)",
                    new { module = module.Name, step.Version, step.Description, at = Iso(Time.GetUtcNow()) }, tx, cancellationToken: cancellationToken));
                await tx.CommitAsync(cancellationToken);
            }
        }
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_migrations WHERE module = 'catalog'", cancellationToken: cancellationToken)) ?? 0;
    }

    public async Task<bool> ImageExistsAsync(string imageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM images WHERE id = @imageId", new { imageId }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<IReadOnlyList<(string ImageId, ulong PerceptualHash)>> GetPerceptualHashesAsync(ImageKind kind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, long Phash)>(new CommandDefinition(
            "SELECT id, phash FROM images WHERE kind = @kind ORDER BY id", new { kind = KindName(kind) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.Id, unchecked((ulong)r.Phash)))];
    }

    public async Task<IngestWriteResult> RecordIngestAsync(IngestWrite write, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await Database.BeginWriteAsync(connection, cancellationToken);
        var result = await RecordIngestAsync(connection, tx, write, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    public async Task<IReadOnlyList<IngestWriteResult>> RecordIngestBatchAsync(IReadOnlyList<IngestWrite> writes, int nearDuplicateMaxDistance,
        Func<IReadOnlyList<IngestWriteResult>, Jobs.BatchCompletion>? complete, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await Database.BeginWriteAsync(connection, cancellationToken);
        var results = new List<IngestWriteResult>(writes.Count);
        List<(string ImageId, ulong PerceptualHash)>? known = null;
        HashSet<string>? knownIds = null;
        if (writes.Any(w => w.NewImage is { Kind: ImageKind.Original }))
        {
            // Taken before any insert (as the single writer's link step does), so two batches never wait
            // for each other in opposite orders. Inside it, every committed image is visible.
            await Database.LockAsync(connection, tx, "near-duplicate-clusters", cancellationToken);
            known = [.. (await connection.QueryAsync<(string Id, long Phash)>(new CommandDefinition(
                "SELECT id, phash FROM images WHERE kind = 'original'", transaction: tx, cancellationToken: cancellationToken)))
                .Select(r => (r.Id, unchecked((ulong)r.Phash)))];
            knownIds = known.Select(k => k.ImageId).ToHashSet(StringComparer.Ordinal);
        }
        foreach (var write in writes)
        {
            var links = write.NewImage is { Kind: ImageKind.Original } image && !knownIds!.Contains(image.Id)
                ? NearDuplicates.Find(image, known!, nearDuplicateMaxDistance)
                : [];
            var result = await RecordIngestAsync(connection, tx, write with { NearDuplicates = links }, cancellationToken);
            if (result.Outcome == IngestWriteOutcome.Added && write.NewImage is { Kind: ImageKind.Original } added)
            {
                known!.Add((added.Id, added.PerceptualHash));
                knownIds!.Add(added.Id);
            }
            results.Add(result with { Links = result.Outcome == IngestWriteOutcome.Added ? links : [] });
        }
        if (complete is not null)
            await SqlJobLedger.CompleteAsync(connection, tx, complete(results), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>One file's rows inside the caller's transaction.</summary>
    private async Task<IngestWriteResult> RecordIngestAsync(DbConnection connection, DbTransaction tx, IngestWrite write, CancellationToken cancellationToken)
    {
        // Lock before insert, like batch writes, so writers never wait for each other in opposite orders.
        if (write.NewImage is not null && write.NearDuplicates.Count > 0)
            await Database.LockAsync(connection, tx, "near-duplicate-clusters", cancellationToken);
        // Inserting first and counting rows makes two writers of the same bytes safe on any engine.
        var inserted = write.NewImage is { } image && await InsertImageAsync(connection, tx, image, cancellationToken) == 1;
        var exists = !inserted;
        if (exists && await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM images WHERE id = @id", new { id = write.ImageId }, tx, cancellationToken: cancellationToken)) == 0)
            throw new InvalidOperationException($"Image {write.ImageId} is not in the catalog and the write carries no measured record for it.");
        IngestWriteOutcome outcome;
        var linked = 0;
        if (inserted)
        {
            linked = await LinkNearDuplicatesAsync(connection, tx, write.ImageId, write.NearDuplicates, cancellationToken);
            outcome = IngestWriteOutcome.Added;
        }
        else
        {
            outcome = IngestWriteOutcome.DuplicateNewOccurrence;
        }

        var o = write.Occurrence;
        var newOccurrence = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO image_occurrences (image_id, source, original_path, original_file_name, run_id, seen_at)
            VALUES (@ImageId, @Source, @OriginalPath, @OriginalFileName, @RunId, @SeenAt)
            ON CONFLICT (image_id, source, original_path) DO NOTHING
            """,
            new { o.ImageId, o.Source, o.OriginalPath, o.OriginalFileName, o.RunId, SeenAt = Iso(o.SeenAt) }, tx, cancellationToken: cancellationToken));
        if (exists && newOccurrence == 0) outcome = IngestWriteOutcome.AlreadyKnown;

        foreach (var f in write.Fields)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO image_fields (image_id, field, value, provenance, actor, recorded_at)
                VALUES (@ImageId, @Field, @Value, @Provenance, @Actor, @RecordedAt)
                ON CONFLICT (image_id, field, value, provenance, actor) DO NOTHING
                """,
                new { f.ImageId, f.Field, f.Value, Provenance = f.Provenance.ToWire(), f.Actor, RecordedAt = Iso(f.RecordedAt) }, tx, cancellationToken: cancellationToken));

        foreach (var l in write.Labels)
            await InsertLabelAsync(connection, tx, l, cancellationToken);
        return new IngestWriteResult(outcome, linked);
    }

    private static async Task InsertLabelAsync(DbConnection connection, DbTransaction tx, LabelRecord l, CancellationToken cancellationToken)
    {
        var sql = l.Status == LabelStatus.Hint
            ? """
              INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at)
              VALUES (@ImageId, @Label, @Status, @Provenance, @Actor, @RecordedAt)
              ON CONFLICT (image_id, label, provenance, actor) WHERE status = 'hint' DO NOTHING
              """
            : """
              INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at)
              VALUES (@ImageId, @Label, @Status, @Provenance, @Actor, @RecordedAt)
              """;
        await connection.ExecuteAsync(new CommandDefinition(sql,
            new { l.ImageId, l.Label, Status = StatusName(l.Status), Provenance = l.Provenance.ToWire(), l.Actor, RecordedAt = Iso(l.RecordedAt) },
            tx, cancellationToken: cancellationToken));
    }

    /// <summary>Inserts the image unless it exists; returns the rows written (0 or 1).</summary>
    public static Task<int> InsertImageAsync(DbConnection connection, DbTransaction tx, ImageRecord image, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO images (id, kind, parent_id, byte_size, format, width, height, exif_orientation, phash, ingested_at)
            VALUES (@Id, @Kind, @ParentId, @ByteSize, @Format, @Width, @Height, @ExifOrientation, @Phash, @IngestedAt)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                image.Id, Kind = KindName(image.Kind), image.ParentId, image.ByteSize, image.Format, image.Width, image.Height,
                image.ExifOrientation, Phash = unchecked((long)image.PerceptualHash), IngestedAt = Iso(image.IngestedAt),
            }, tx, cancellationToken: cancellationToken));

    /// <summary>Adds the links and merges the clusters they touch; a cluster is named by its smallest
    /// image id, so the name does not depend on the order images arrived in.</summary>
    private async Task<int> LinkNearDuplicatesAsync(DbConnection connection, DbTransaction tx, string imageId, IReadOnlyList<NearDuplicateLink> links, CancellationToken cancellationToken)
    {
        if (links.Count == 0) return 0;
        var others = links.Select(l => l.OtherImageId).Distinct().ToList();
        foreach (var link in links)
        {
            var (a, b) = string.CompareOrdinal(link.ImageId, link.OtherImageId) < 0 ? (link.ImageId, link.OtherImageId) : (link.OtherImageId, link.ImageId);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO near_duplicates (image_a, image_b, distance) VALUES (@a, @b, @distance) ON CONFLICT DO NOTHING",
                new { a, b, distance = link.Distance }, tx, cancellationToken: cancellationToken));
        }
        var touched = (await connection.QueryAsync<(string Id, string? Cluster)>(new CommandDefinition(
            $"SELECT id, near_dup_cluster FROM images WHERE {In("id", "ids")}", new { ids = others.Append(imageId).ToList() }, tx, cancellationToken: cancellationToken))).ToList();
        var oldClusters = touched.Where(t => t.Cluster is not null).Select(t => t.Cluster).Distinct().ToList();
        var members = (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM images WHERE {In("near_dup_cluster", "oldClusters")}", new { oldClusters }, tx, cancellationToken: cancellationToken)))
            .Concat(touched.Select(t => t.Id)).Distinct().ToList();
        var cluster = members.Min(StringComparer.Ordinal);
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE images SET near_dup_cluster = @cluster WHERE {In("id", "members")}", new { cluster, members }, tx, cancellationToken: cancellationToken));
        return links.Count;
    }

    public async Task<ImageDetails?> GetImageAsync(string imageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ImageRow>(new CommandDefinition(
            "SELECT * FROM images WHERE id = @imageId", new { imageId }, cancellationToken: cancellationToken));
        if (row is null) return null;
        var ids = new[] { imageId };
        var occurrences = await QueryOccurrencesAsync(connection, ids, cancellationToken);
        var fields = await QueryFieldsAsync(connection, ids, cancellationToken);
        var labels = await QueryLabelsAsync(connection, ids, cancellationToken);
        var links = await connection.QueryAsync<(string A, string B, long Distance)>(new CommandDefinition(
            "SELECT image_a, image_b, distance FROM near_duplicates WHERE image_a = @imageId OR image_b = @imageId ORDER BY distance, image_a, image_b",
            new { imageId }, cancellationToken: cancellationToken));
        return new ImageDetails
        {
            Image = row.ToRecord(),
            Occurrences = occurrences,
            FieldHistory = fields,
            Labels = labels,
            NearDuplicates = [.. links.Select(l => new NearDuplicateLink(imageId, l.A == imageId ? l.B : l.A, (int)l.Distance))],
            NearDuplicateClusterId = row.near_dup_cluster,
        };
    }

    public async Task<IReadOnlyList<string>> FindImageIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM images WHERE substr(id, 1, @length) = @prefix ORDER BY id LIMIT @limit",
            new { prefix, length = prefix.Length, limit }, cancellationToken: cancellationToken));
        return [.. rows.Where(r => r.StartsWith(prefix, StringComparison.Ordinal))];
    }

    public async Task<IReadOnlyList<ImageSummary>> ListImagesAsync(ImageQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ImageRow>(new CommandDefinition(
            """
            SELECT * FROM images i
            WHERE (@kind IS NULL OR i.kind = @kind)
              AND (@source IS NULL OR EXISTS (SELECT 1 FROM image_occurrences o WHERE o.image_id = i.id AND o.source = @source))
            ORDER BY i.ingested_at, i.id
            LIMIT @limit OFFSET @offset
            """,
            new { kind = query.Kind is { } k ? KindName(k) : null, source = query.Source, limit = query.Limit, offset = query.Offset },
            cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.id).ToList();
        var occurrences = (await QueryOccurrencesAsync(connection, ids, cancellationToken)).ToLookup(o => o.ImageId);
        var fields = (await QueryFieldsAsync(connection, ids, cancellationToken)).ToLookup(f => f.ImageId);
        var labels = (await QueryLabelsAsync(connection, ids, cancellationToken)).ToLookup(l => l.ImageId);
        return [.. rows.Select(r =>
        {
            var first = occurrences[r.id].FirstOrDefault();
            return new ImageSummary
            {
                Image = r.ToRecord(),
                OriginalFileName = first?.OriginalFileName,
                Source = first?.Source,
                SetId = FieldResolution.Effective(fields[r.id], Fields.SetId),
                DateTaken = FieldResolution.Effective(fields[r.id], Fields.DateTaken),
                LabelHints = [.. labels[r.id].Where(l => l.Status == LabelStatus.Hint).Select(l => l.Label).Distinct()],
                NearDuplicateClusterId = r.near_dup_cluster,
            };
        })];
    }

    public async Task<CatalogCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(long Originals, long Crops, long Occurrences, long Links, long Clusters)>(new CommandDefinition(
            """
            SELECT (SELECT COUNT(*) FROM images WHERE kind = 'original'),
                   (SELECT COUNT(*) FROM images WHERE kind = 'crop'),
                   (SELECT COUNT(*) FROM image_occurrences),
                   (SELECT COUNT(*) FROM near_duplicates),
                   (SELECT COUNT(DISTINCT near_dup_cluster) FROM images WHERE near_dup_cluster IS NOT NULL)
            """, cancellationToken: cancellationToken));
        return new CatalogCounts((int)row.Originals, (int)row.Crops, (int)row.Occurrences, (int)row.Links, (int)row.Clusters);
    }

    public async Task StartIngestRunAsync(IngestRun run, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO ingest_runs (run_id, source, inputs, started_at, status) VALUES (@RunId, @Source, @inputs, @startedAt, 'running')",
            new { run.RunId, run.Source, inputs = JsonSerializer.Serialize(run.Inputs), startedAt = Iso(run.StartedAt) }, cancellationToken: cancellationToken));
    }

    public async Task FinishIngestRunAsync(IngestRunResult result, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await Database.BeginWriteAsync(connection, cancellationToken);
        // Only a running run finishes, once: the last batch jobs of a distributed run may both finish it.
        var finished = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE ingest_runs SET finished_at = @finishedAt, status = @status, added = @Added, duplicates = @Duplicates, near_duplicates = @NearDuplicates
            WHERE run_id = @RunId AND status = 'running'
            """,
            new { finishedAt = result.FinishedAt is { } f ? Iso(f) : null, status = result.Status.ToString().ToLowerInvariant(), result.Added, result.Duplicates, result.NearDuplicates, result.RunId },
            tx, cancellationToken: cancellationToken));
        if (finished == 0) return;
        foreach (var r in result.Rejected)
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO ingest_rejections (run_id, path, code, reason) VALUES (@runId, @Path, @code, @Reason)",
                new { runId = result.RunId, r.Path, code = r.Code.ToString(), r.Reason }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<IngestRunResult>> ListIngestRunsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var runs = await connection.QueryAsync<RunRow>(new CommandDefinition("SELECT * FROM ingest_runs ORDER BY started_at, run_id", cancellationToken: cancellationToken));
        var rejections = (await connection.QueryAsync<(string RunId, string Path, string Code, string Reason)>(new CommandDefinition(
            "SELECT run_id, path, code, reason FROM ingest_rejections ORDER BY run_id, path", cancellationToken: cancellationToken))).ToLookup(r => r.RunId);
        return [.. runs.Select(r => new IngestRunResult
        {
            RunId = r.run_id,
            Source = r.source,
            StartedAt = DateTimeOffset.Parse(r.started_at, CultureInfo.InvariantCulture),
            FinishedAt = r.finished_at is null ? null : DateTimeOffset.Parse(r.finished_at, CultureInfo.InvariantCulture),
            Status = Enum.Parse<IngestRunStatus>(r.status, ignoreCase: true),
            Added = (int)r.added,
            Duplicates = (int)r.duplicates,
            NearDuplicates = (int)r.near_duplicates,
            Rejected = [.. rejections[r.run_id].Select(x => new Rejection(x.Path, x.Reason, Enum.Parse<RejectCode>(x.Code)))],
        })];
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Database.Release();
        return ValueTask.CompletedTask;
    }

    private async Task<IReadOnlyList<ImageOccurrence>> QueryOccurrencesAsync(DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string ImageId, string Source, string OriginalPath, string OriginalFileName, string RunId, string SeenAt)>(new CommandDefinition(
            $"SELECT image_id, source, original_path, original_file_name, run_id, seen_at FROM image_occurrences WHERE {In("image_id", "ids")} ORDER BY seen_at, source, original_path",
            new { ids }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ImageOccurrence
        {
            ImageId = r.ImageId, Source = r.Source, OriginalPath = r.OriginalPath, OriginalFileName = r.OriginalFileName, RunId = r.RunId,
            SeenAt = DateTimeOffset.Parse(r.SeenAt, CultureInfo.InvariantCulture),
        })];
    }

    private async Task<IReadOnlyList<FieldValue>> QueryFieldsAsync(DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string ImageId, string Field, string Value, string Provenance, string Actor, string RecordedAt)>(new CommandDefinition(
            $"SELECT image_id, field, value, provenance, actor, recorded_at FROM image_fields WHERE {In("image_id", "ids")} ORDER BY id",
            new { ids }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new FieldValue
        {
            ImageId = r.ImageId, Field = r.Field, Value = r.Value, Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance), Actor = r.Actor,
            RecordedAt = DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture),
        })];
    }

    private async Task<IReadOnlyList<LabelRecord>> QueryLabelsAsync(DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string ImageId, string Label, string Status, string Provenance, string Actor, string RecordedAt)>(new CommandDefinition(
            $"SELECT image_id, label, status, provenance, actor, recorded_at FROM labels WHERE {In("image_id", "ids")} ORDER BY id",
            new { ids }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new LabelRecord
        {
            ImageId = r.ImageId, Label = r.Label, Status = Enum.Parse<LabelStatus>(r.Status, ignoreCase: true),
            Provenance = ProvenanceExtensions.ParseProvenance(r.Provenance), Actor = r.Actor,
            RecordedAt = DateTimeOffset.Parse(r.RecordedAt, CultureInfo.InvariantCulture),
        })];
    }

    public static string Iso(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
    public static string KindName(ImageKind kind) => kind.ToString().ToLowerInvariant();
    public static string StatusName(LabelStatus status) => status.ToString().ToLowerInvariant();

#pragma warning disable IDE1006, CA1707 // Column-named rows for Dapper.
    private sealed class ImageRow
    {
        public string id { get; set; } = "";
        public string kind { get; set; } = "";
        public string? parent_id { get; set; }
        public long byte_size { get; set; }
        public string format { get; set; } = "";
        public long width { get; set; }
        public long height { get; set; }
        public long exif_orientation { get; set; }
        public long phash { get; set; }
        public string ingested_at { get; set; } = "";
        public string? near_dup_cluster { get; set; }

        public ImageRecord ToRecord() => new()
        {
            Id = id,
            Kind = Enum.Parse<ImageKind>(kind, ignoreCase: true),
            ParentId = parent_id,
            ByteSize = byte_size,
            Format = format,
            Width = (int)width,
            Height = (int)height,
            ExifOrientation = (int)exif_orientation,
            PerceptualHash = unchecked((ulong)phash),
            IngestedAt = DateTimeOffset.Parse(ingested_at, CultureInfo.InvariantCulture),
        };
    }

    private sealed class RunRow
    {
        public string run_id { get; set; } = "";
        public string source { get; set; } = "";
        public string started_at { get; set; } = "";
        public string? finished_at { get; set; }
        public string status { get; set; } = "";
        public long added { get; set; }
        public long duplicates { get; set; }
        public long near_duplicates { get; set; }
    }
#pragma warning restore IDE1006, CA1707
}
