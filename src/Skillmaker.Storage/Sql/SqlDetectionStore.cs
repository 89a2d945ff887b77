using System.Data;
using System.Globalization;
using System.Data.Common;
using Dapper;
using Skillmaker.Catalog;
using Skillmaker.Detection;

namespace Skillmaker.Storage;

/// <summary>Detections in the catalog's database (SQLite or PostgreSQL), beside the images they belong to; crops go into
/// the catalog's <c>images</c> table in the same transaction as the detections that cut them.</summary>
public sealed class SqlDetectionStore(SqlCatalog catalog) : IDetectionStore
{
    public async Task<IReadOnlyList<PendingImage>> ListPendingAsync(string modelSha256, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, long Width, long Height, string? FileName)>(new CommandDefinition(
            """
            SELECT i.id, i.width, i.height,
                   (SELECT o.original_file_name FROM image_occurrences o WHERE o.image_id = i.id ORDER BY o.seen_at, o.source, o.original_path LIMIT 1)
            FROM images i
            WHERE i.kind = 'original'
              AND NOT EXISTS (SELECT 1 FROM detection_results r WHERE r.image_id = i.id AND r.model_sha256 = @modelSha256)
            ORDER BY i.ingested_at, i.id
            """, new { modelSha256 }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new PendingImage(r.Id, (int)r.Width, (int)r.Height, r.FileName))];
    }

    public async Task<CropOrigin?> FindCropOriginAsync(string cropId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        // One crop id can only come from one rectangle of one photo (its bytes are that rectangle); any row says it.
        var row = await connection.QuerySingleOrDefaultAsync<(string ImageId, long Width, long Height, long X, long Y, long CropWidth, long CropHeight)?>(new CommandDefinition(
            """
            SELECT d.image_id, i.width, i.height, d.crop_x, d.crop_y, d.crop_width, d.crop_height
            FROM detections d JOIN images i ON i.id = d.image_id
            WHERE d.crop_id = @cropId
            ORDER BY d.model_sha256, d.rank
            LIMIT 1
            """, new { cropId }, cancellationToken: cancellationToken));
        return row is { } r ? new CropOrigin(r.ImageId, (int)r.Width, (int)r.Height, new PixelRect((int)r.X, (int)r.Y, (int)r.CropWidth, (int)r.CropHeight)) : null;
    }

    public async Task<int> CountProcessedAsync(string modelSha256, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM detection_results WHERE model_sha256 = @modelSha256", new { modelSha256 }, cancellationToken: cancellationToken));
    }

    public async Task StartRunAsync(DetectRun run, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO detect_runs (run_id, model_sha256, model_path, settings, started_at, status)
            VALUES (@RunId, @ModelSha256, @ModelPath, @SettingsJson, @startedAt, 'running')
            """,
            new { run.RunId, run.ModelSha256, run.ModelPath, run.SettingsJson, startedAt = SqlCatalog.Iso(run.StartedAt) }, cancellationToken: cancellationToken));
    }

    public async Task<bool> RecordAsync(ImageDetectionWrite write, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        // Two workers on the same image: the second waits, then sees the result and writes nothing.
        await catalog.Database.LockAsync(connection, tx, $"detect:{write.ImageId}", cancellationToken);
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM detection_results WHERE image_id = @ImageId AND model_sha256 = @ModelSha256",
            new { write.ImageId, write.ModelSha256 }, tx, cancellationToken: cancellationToken)) > 0;
        if (exists) return false;

        foreach (var crop in write.Crops)
        {
            if (crop.Kind != ImageKind.Crop || crop.ParentId != write.ImageId)
                throw new ArgumentException($"Crop {crop.Id} must be of kind Crop with parent {write.ImageId}.", nameof(write));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO images (id, kind, parent_id, byte_size, format, width, height, exif_orientation, phash, ingested_at)
                VALUES (@Id, 'crop', @ParentId, @ByteSize, @Format, @Width, @Height, @ExifOrientation, @Phash, @IngestedAt)
                ON CONFLICT (id) DO NOTHING
                """,
                new
                {
                    crop.Id, crop.ParentId, crop.ByteSize, crop.Format, crop.Width, crop.Height, crop.ExifOrientation,
                    Phash = unchecked((long)crop.PerceptualHash), IngestedAt = SqlCatalog.Iso(crop.IngestedAt),
                }, tx, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO detection_results (image_id, model_sha256, run_id, outcome, vehicle_count, error, processed_at)
            VALUES (@ImageId, @ModelSha256, @RunId, @outcome, @vehicles, @Error, @processedAt)
            """,
            new
            {
                write.ImageId, write.ModelSha256, write.RunId, outcome = write.Outcome.ToWire(),
                vehicles = write.Detections.Count(d => d.Role == DetectionRole.Vehicle && d.CropId is not null),
                write.Error, processedAt = SqlCatalog.Iso(write.ProcessedAt),
            }, tx, cancellationToken: cancellationToken));

        foreach (var d in write.Detections)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO detections (image_id, model_sha256, rank, class_id, class_name, score, x1, y1, x2, y2, role, crop_x, crop_y, crop_width, crop_height, crop_id)
                VALUES (@ImageId, @ModelSha256, @Rank, @ClassId, @ClassName, @Score, @X1, @Y1, @X2, @Y2, @role, @cropX, @cropY, @cropWidth, @cropHeight, @CropId)
                """,
                new
                {
                    write.ImageId, write.ModelSha256, d.Rank, d.ClassId, d.ClassName, Score = (double)d.Score,
                    X1 = (double)d.Box.X1, Y1 = (double)d.Box.Y1, X2 = (double)d.Box.X2, Y2 = (double)d.Box.Y2, role = RoleName(d.Role),
                    cropX = d.CropRect?.X, cropY = d.CropRect?.Y, cropWidth = d.CropRect?.Width, cropHeight = d.CropRect?.Height, d.CropId,
                }, tx, cancellationToken: cancellationToken));

        await UpsertAttributionsAsync(connection, tx, write.Attributions, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<int> SaveAttributionsAsync(IReadOnlyList<CropAttribution> attributions, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        var changed = await UpsertAttributionsAsync(connection, tx, attributions, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>Writes each attribution unless the crop already has the same decision, rule and settings;
    /// returns how many rows were new or changed.</summary>
    private static async Task<int> UpsertAttributionsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<CropAttribution> attributions, CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var a in attributions)
            changed += await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crop_attributions (crop_id, parent_id, model_sha256, subject, rule, reason, settings, decided_at)
                VALUES (@CropId, @ParentId, @ModelSha256, @subject, @Rule, @Reason, @SettingsJson, @decidedAt)
                ON CONFLICT (crop_id) DO UPDATE SET parent_id = excluded.parent_id, model_sha256 = excluded.model_sha256, subject = excluded.subject,
                    rule = excluded.rule, reason = excluded.reason, settings = excluded.settings, decided_at = excluded.decided_at
                WHERE crop_attributions.subject <> excluded.subject OR crop_attributions.rule <> excluded.rule
                    OR crop_attributions.settings <> excluded.settings OR crop_attributions.reason <> excluded.reason
                """,
                new { a.CropId, a.ParentId, a.ModelSha256, subject = a.Subject ? 1L : 0L, a.Rule, a.Reason, a.SettingsJson, decidedAt = SqlCatalog.Iso(a.DecidedAt) },
                tx, cancellationToken: cancellationToken));
        return changed;
    }

    public async Task<CropAttribution?> GetAttributionAsync(string cropId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string CropId, string ParentId, string Model, long Subject, string Rule, string Reason, string Settings, string DecidedAt)?>(new CommandDefinition(
            "SELECT crop_id, parent_id, model_sha256, subject, rule, reason, settings, decided_at FROM crop_attributions WHERE crop_id = @cropId",
            new { cropId }, cancellationToken: cancellationToken));
        return row is not { } r ? null : new CropAttribution
        {
            CropId = r.CropId, ParentId = r.ParentId, ModelSha256 = r.Model, Subject = r.Subject == 1, Rule = r.Rule, Reason = r.Reason,
            SettingsJson = r.Settings, DecidedAt = DateTimeOffset.Parse(r.DecidedAt, CultureInfo.InvariantCulture),
        };
    }

    public async Task<IReadOnlyList<AttributionInput>> ListAttributionInputsAsync(bool onlyMissing, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string ImageId, string Model, long Width, long Height, string CropId, double X1, double Y1, double X2, double Y2)>(new CommandDefinition(
            """
            SELECT d.image_id, d.model_sha256, i.width, i.height, d.crop_id, d.x1, d.y1, d.x2, d.y2
            FROM detections d JOIN images i ON i.id = d.image_id
            WHERE d.crop_id IS NOT NULL AND d.role = 'vehicle'
            ORDER BY d.image_id, d.model_sha256, d.rank
            """, cancellationToken: cancellationToken));
        var missing = onlyMissing
            ? (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT d.crop_id FROM detections d WHERE d.crop_id IS NOT NULL AND d.role = 'vehicle' AND d.crop_id NOT IN (SELECT crop_id FROM crop_attributions)",
                cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal)
            : null;
        return [.. rows.GroupBy(r => (r.ImageId, r.Model))
            .Where(g => missing is null || g.Any(r => missing.Contains(r.CropId)))
            .Select(g => new AttributionInput(g.Key.ImageId, g.Key.Model, (int)g.First().Width, (int)g.First().Height,
                [.. g.Select(r => new CroppedBox(r.CropId, new BoundingBox((float)r.X1, (float)r.Y1, (float)r.X2, (float)r.Y2)))]))];
    }

    public async Task FinishRunAsync(DetectRunResult result, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE detect_runs SET finished_at = @finishedAt, status = @status, processed = @Processed, vehicles = @Vehicles, failed = @Failed
            WHERE run_id = @RunId AND status = 'running'
            """,
            new { finishedAt = SqlCatalog.Iso(result.FinishedAt), status = result.Status.ToString().ToLowerInvariant(), result.Processed, result.Vehicles, result.Failed, result.RunId },
            cancellationToken: cancellationToken));
    }

    public async Task<ImageDetectionResult?> GetResultAsync(string imageId, string modelSha256, CancellationToken cancellationToken) =>
        (await QueryResultsAsync("r.image_id = @imageId AND r.model_sha256 = @modelSha256", new { imageId, modelSha256 }, cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<ImageDetectionResult>> ListResultsAsync(string? modelSha256, CancellationToken cancellationToken) =>
        QueryResultsAsync("(@modelSha256 IS NULL OR r.model_sha256 = @modelSha256)", new { modelSha256 }, cancellationToken);

    private async Task<IReadOnlyList<ImageDetectionResult>> QueryResultsAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var results = (await connection.QueryAsync<(string ImageId, string Model, string RunId, string Outcome, long Vehicles, string? Error, string ProcessedAt)>(new CommandDefinition(
            $"SELECT r.image_id, r.model_sha256, r.run_id, r.outcome, r.vehicle_count, r.error, r.processed_at FROM detection_results r WHERE {where} ORDER BY r.image_id, r.model_sha256",
            parameters, cancellationToken: cancellationToken))).ToList();
        if (results.Count == 0) return [];
        var detections = (await connection.QueryAsync<DetectionRow>(new CommandDefinition(
            $"SELECT d.* FROM detections d JOIN detection_results r ON r.image_id = d.image_id AND r.model_sha256 = d.model_sha256 WHERE {where} ORDER BY d.rank",
            parameters, cancellationToken: cancellationToken))).ToLookup(d => (d.image_id, d.model_sha256));
        return [.. results.Select(r => new ImageDetectionResult
        {
            ImageId = r.ImageId,
            ModelSha256 = r.Model,
            RunId = r.RunId,
            Outcome = DetectionOutcomes.Parse(r.Outcome),
            VehicleCount = (int)r.Vehicles,
            Error = r.Error,
            ProcessedAt = DateTimeOffset.Parse(r.ProcessedAt, CultureInfo.InvariantCulture),
            Detections = [.. detections[(r.ImageId, r.Model)].Select(d => d.ToStored())],
        })];
    }

    internal static string RoleName(DetectionRole role) => role switch
    {
        DetectionRole.Vehicle => "vehicle",
        DetectionRole.OtherClass => "other_class",
        DetectionRole.SameVehicle => "same_vehicle",
        DetectionRole.TooSmall => "too_small",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    private static DetectionRole ParseRole(string role) => Enum.GetValues<DetectionRole>().Single(r => RoleName(r) == role);

#pragma warning disable IDE1006, CA1707 // Column-named rows for Dapper.
    private sealed class DetectionRow
    {
        public string image_id { get; set; } = "";
        public string model_sha256 { get; set; } = "";
        public long rank { get; set; }
        public long class_id { get; set; }
        public string class_name { get; set; } = "";
        public double score { get; set; }
        public double x1 { get; set; }
        public double y1 { get; set; }
        public double x2 { get; set; }
        public double y2 { get; set; }
        public string role { get; set; } = "";
        public long? crop_x { get; set; }
        public long? crop_y { get; set; }
        public long? crop_width { get; set; }
        public long? crop_height { get; set; }
        public string? crop_id { get; set; }

        public StoredDetection ToStored() => new()
        {
            Rank = (int)rank,
            ClassId = (int)class_id,
            ClassName = class_name,
            Score = (float)score,
            Box = new BoundingBox((float)x1, (float)y1, (float)x2, (float)y2),
            Role = ParseRole(role),
            CropRect = crop_x is { } x ? new PixelRect((int)x, (int)crop_y!, (int)crop_width!, (int)crop_height!) : null,
            CropId = crop_id,
        };
    }
#pragma warning restore IDE1006, CA1707
}
