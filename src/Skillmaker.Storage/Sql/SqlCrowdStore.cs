using System.Globalization;
using Dapper;
using System.Data.Common;
using Skillmaker.Common;
using Skillmaker.Crowd;

namespace Skillmaker.Storage;

/// <summary>Crowd tasks, locks, answers and results beside the workspace's catalog, in portable SQL (SQLite or
/// PostgreSQL). Every write takes the crowd lock, so two workers can never both take the last free slot.</summary>
public sealed class SqlCrowdStore(SqlCatalog catalog) : ICrowdStore
{
    private const string TaskColumns = "id, image_id, round, overlap, gold_content, gold_quality, status, created_at";

    public async Task<int> EnqueueAsync(IReadOnlyList<string> imageIds, int overlap, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        var added = 0;
        foreach (var id in imageIds)
        {
            added += await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crowd_tasks (image_id, round, overlap, status, created_at)
                SELECT @id, 1, @overlap, 'open', @now
                WHERE EXISTS (SELECT 1 FROM images WHERE id = @id AND kind = 'crop')
                  AND NOT EXISTS (SELECT 1 FROM crowd_tasks WHERE image_id = @id)
                """, new { id, overlap, now = SqlCatalog.Iso(now) }, tx, cancellationToken: cancellationToken));
        }
        await tx.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<CrowdTask> SetGoldAsync(string imageId, string content, string quality, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        var existing = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM crowd_tasks WHERE image_id = @imageId AND status = 'open' ORDER BY round DESC LIMIT 1", new { imageId }, tx, cancellationToken: cancellationToken));
        long id;
        if (existing is { } e)
        {
            id = e;
            await connection.ExecuteAsync(new CommandDefinition("UPDATE crowd_tasks SET gold_content = @content, gold_quality = @quality WHERE id = @id",
                new { id, content, quality }, tx, cancellationToken: cancellationToken));
        }
        else
        {
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO crowd_tasks (image_id, round, overlap, gold_content, gold_quality, status, created_at)
                VALUES (@imageId, (SELECT COALESCE(MAX(round), 0) + 1 FROM crowd_tasks WHERE image_id = @imageId), 1, @content, @quality, 'open', @now)
                RETURNING id
                """, new { imageId, content, quality, now = SqlCatalog.Iso(now) }, tx, cancellationToken: cancellationToken));
        }
        var task = await GetTaskAsync(connection, tx, id, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return task!;
    }

    public async Task<IReadOnlyList<string>> GetUnqueuedCropsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM images WHERE kind = 'crop' AND id NOT IN (SELECT image_id FROM crowd_tasks) ORDER BY ingested_at, id", cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<CrowdInstruction>> GetInstructionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Option, string Text, string? Example, string By, string At)>(new CommandDefinition(
            "SELECT option_key, text, example_image_id, updated_by, updated_at FROM crowd_instructions ORDER BY option_key", cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CrowdInstruction(r.Option, r.Text, r.Example, r.By, Parse(r.At)))];
    }

    public async Task SaveInstructionsAsync(IReadOnlyList<CrowdInstruction> instructions, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        foreach (var i in instructions)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crowd_instructions (option_key, text, example_image_id, updated_by, updated_at) VALUES (@Option, @Text, @ExampleImageId, @UpdatedBy, @at)
                ON CONFLICT (option_key) DO UPDATE SET text = excluded.text, example_image_id = excluded.example_image_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                """, new { i.Option, i.Text, i.ExampleImageId, i.UpdatedBy, at = SqlCatalog.Iso(i.UpdatedAt) }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<CrowdAssignment?> GetHeldAsync(string worker, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var held = await connection.QueryFirstOrDefaultAsync<(long TaskId, string LockedAt, string ExpiresAt)?>(new CommandDefinition(
            HeldQuery, new { worker, nowText = SqlCatalog.Iso(now) }, cancellationToken: cancellationToken));
        if (held is not { } h) return null;
        var task = await GetTaskAsync(connection, null, h.TaskId, cancellationToken);
        return task is null ? null : new CrowdAssignment(task, worker, Parse(h.LockedAt), Parse(h.ExpiresAt));
    }

    /// <summary>The open task a worker holds (reserved, not yet answered, reservation not run out).</summary>
    private const string HeldQuery = """
        SELECT l.task_id, l.locked_at, l.expires_at FROM crowd_locks l JOIN crowd_tasks t ON t.id = l.task_id
        WHERE l.worker = @worker AND l.expires_at > @nowText AND t.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM crowd_answers a WHERE a.task_id = l.task_id AND a.worker = @worker)
        ORDER BY l.locked_at LIMIT 1
        """;

    public async Task<CrowdAssignment?> AcquireAsync(string worker, DateTimeOffset now, TimeSpan lockDuration, int goldEvery, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        // The write lock is taken up front, so two workers can never both take the last free slot.
        await using var tx = await BeginAsync(connection, cancellationToken);
        var nowText = SqlCatalog.Iso(now);
        var held = await connection.QueryFirstOrDefaultAsync<(long TaskId, string LockedAt, string ExpiresAt)?>(new CommandDefinition(
            HeldQuery, new { worker, nowText }, tx, cancellationToken: cancellationToken));
        if (held is { } h)
        {
            var heldTask = await GetTaskAsync(connection, tx, h.TaskId, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return new CrowdAssignment(heldTask!, worker, Parse(h.LockedAt), Parse(h.ExpiresAt));
        }

        var wantGold = goldEvery > 0 && (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM crowd_answers WHERE worker = @worker", new { worker }, tx, cancellationToken: cancellationToken)) + 1) % goldEvery == 0;
        // Tasks closest to complete first, so consolidated results arrive early; the index walk stops
        // at the first task this worker may take. A crop sent back for another round goes to workers
        // who have not answered it in any round: a second look by the same eyes adds little.
        const string next = """
            SELECT t.id FROM crowd_tasks t
            WHERE t.status = 'open' AND (t.gold_content IS NOT NULL) = @gold
              AND NOT EXISTS (SELECT 1 FROM crowd_answers a JOIN crowd_tasks p ON p.id = a.task_id WHERE p.image_id = t.image_id AND a.worker = @worker)
              AND (t.gold_content IS NOT NULL OR t.answer_count
                 + (SELECT COUNT(*) FROM crowd_locks l WHERE l.task_id = t.id AND l.worker <> @worker AND l.expires_at > @nowText) < t.overlap)
            ORDER BY t.status, t.answer_count DESC, t.round DESC, t.id
            LIMIT 1
            """;
        long? pick = null;
        if (wantGold)
            pick = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(next, new { worker, nowText, gold = true }, tx, cancellationToken: cancellationToken));
        pick ??= await connection.ExecuteScalarAsync<long?>(new CommandDefinition(next, new { worker, nowText, gold = false }, tx, cancellationToken: cancellationToken));
        if (pick is not { } taskId)
        {
            await tx.CommitAsync(cancellationToken);
            return null;
        }
        var expires = now.Add(lockDuration);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO crowd_locks (task_id, worker, locked_at, expires_at) VALUES (@taskId, @worker, @nowText, @expires)
            ON CONFLICT (task_id, worker) DO UPDATE SET locked_at = excluded.locked_at, expires_at = excluded.expires_at
            """, new { taskId, worker, nowText, expires = SqlCatalog.Iso(expires) }, tx, cancellationToken: cancellationToken));
        var task = await GetTaskAsync(connection, tx, taskId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new CrowdAssignment(task!, worker, now, expires);
    }

    public async Task<SubmitOutcome> SubmitAsync(long taskId, string worker, string content, string quality, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        var task = await GetTaskAsync(connection, tx, taskId, cancellationToken);
        if (task is null) return SubmitOutcome.UnknownTask;
        var already = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM crowd_answers WHERE task_id = @taskId AND worker = @worker", new { taskId, worker }, tx, cancellationToken: cancellationToken));
        if (already > 0) return SubmitOutcome.AlreadyAnswered;
        var lockedAt = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT locked_at FROM crowd_locks WHERE task_id = @taskId AND worker = @worker", new { taskId, worker }, tx, cancellationToken: cancellationToken));
        if (lockedAt is null) return SubmitOutcome.NotAssigned;
        var answers = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM crowd_answers WHERE task_id = @taskId", new { taskId }, tx, cancellationToken: cancellationToken));
        // A lock that ran out still counts when nobody else filled the task meanwhile.
        if (task.Status != CrowdTaskStatus.Open || (!task.IsGold && answers >= task.Overlap)) return SubmitOutcome.TaskFull;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO crowd_answers (task_id, worker, content, quality, seconds, channel, external_id, answered_at)
            VALUES (@taskId, @worker, @content, @quality, @seconds, 'web', NULL, @now)
            """, new { taskId, worker, content, quality, seconds = Math.Max(0, (now - Parse(lockedAt)).TotalSeconds), now = SqlCatalog.Iso(now) }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("UPDATE crowd_tasks SET answer_count = answer_count + 1 WHERE id = @taskId",
            new { taskId }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM crowd_locks WHERE task_id = @taskId AND worker = @worker",
            new { taskId, worker }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return SubmitOutcome.Recorded;
    }

    public async Task<IReadOnlyList<ImportStatus>> ImportAnswersAsync(IReadOnlyList<CrowdAnswer> answers, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        var statuses = new List<ImportStatus>(answers.Count);
        foreach (var a in answers)
        {
            var seen = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM crowd_answers WHERE external_id = @ExternalId OR (task_id = @TaskId AND worker = @Worker)",
                new { a.ExternalId, a.TaskId, a.Worker }, tx, cancellationToken: cancellationToken));
            if (seen > 0) { statuses.Add(ImportStatus.Duplicate); continue; }
            var task = await GetTaskAsync(connection, tx, a.TaskId, cancellationToken)
                ?? throw new SkillmakerException($"Crowd task T{a.TaskId} does not exist; nothing was imported.");
            if (task.Status != CrowdTaskStatus.Open) { statuses.Add(ImportStatus.TaskConsolidated); continue; }
            var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT answer_count FROM crowd_tasks WHERE id = @TaskId", new { a.TaskId }, tx, cancellationToken: cancellationToken));
            if (!task.IsGold && count >= task.Overlap) { statuses.Add(ImportStatus.TaskFull); continue; }
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crowd_answers (task_id, worker, content, quality, seconds, channel, external_id, answered_at)
                VALUES (@TaskId, @Worker, @Content, @Quality, @Seconds, @Channel, @ExternalId, @at)
                """, new { a.TaskId, a.Worker, a.Content, a.Quality, a.Seconds, a.Channel, a.ExternalId, at = SqlCatalog.Iso(a.AnsweredAt) }, tx, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("UPDATE crowd_tasks SET answer_count = answer_count + 1 WHERE id = @TaskId",
                new { a.TaskId }, tx, cancellationToken: cancellationToken));
            statuses.Add(ImportStatus.Recorded);
        }
        await tx.CommitAsync(cancellationToken);
        return statuses;
    }

    public async Task<IReadOnlyList<CrowdTask>> GetTasksAsync(IReadOnlyCollection<long>? ids, bool openOnly, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var where = (ids, openOnly) switch
        {
            (not null, true) => $"WHERE {catalog.In("id", "ids")} AND status = 'open'",
            (not null, false) => $"WHERE {catalog.In("id", "ids")}",
            (null, true) => "WHERE status = 'open'",
            _ => "",
        };
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition($"SELECT {TaskColumns} FROM crowd_tasks {where} ORDER BY id",
            new { ids = ids?.ToList() }, cancellationToken: cancellationToken));
        return [.. rows.Select(ToTask)];
    }

    public async Task<IReadOnlyList<CrowdAnswer>> GetAnswersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long TaskId, string Worker, string Content, string Quality, double? Seconds, string Channel, string? ExternalId, string AnsweredAt)>(new CommandDefinition(
            "SELECT task_id, worker, content, quality, seconds, channel, external_id, answered_at FROM crowd_answers ORDER BY id", cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CrowdAnswer
        {
            TaskId = r.TaskId, Worker = r.Worker, Content = r.Content, Quality = r.Quality, Seconds = r.Seconds, Channel = r.Channel,
            ExternalId = r.ExternalId, AnsweredAt = Parse(r.AnsweredAt),
        })];
    }

    public async Task SaveConsolidationAsync(IReadOnlyList<CrowdResult> results, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await BeginAsync(connection, cancellationToken);
        foreach (var r in results)
        {
            var closed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE crowd_tasks SET status = 'consolidated' WHERE id = @TaskId AND status = 'open'", new { r.TaskId }, tx, cancellationToken: cancellationToken));
            if (closed == 0) throw new SkillmakerException($"Crowd task T{r.TaskId} was consolidated meanwhile by another run; nothing was written. Run consolidate again.");
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crowd_results (image_id, task_id, method, content, content_confidence, quality, quality_confidence, answers, outcome, consolidated_at)
                VALUES (@ImageId, @TaskId, @method, @Content, @ContentConfidence, @Quality, @QualityConfidence, @Answers, @outcome, @at)
                """, new { r.ImageId, r.TaskId, method = MethodName(r.Method), r.Content, r.ContentConfidence, r.Quality, r.QualityConfidence, r.Answers, outcome = r.Outcome.ToString().ToLowerInvariant(), at = SqlCatalog.Iso(r.ConsolidatedAt) },
                tx, cancellationToken: cancellationToken));
            if (r.Outcome == CrowdOutcome.Requeued)
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO crowd_tasks (image_id, round, overlap, status, created_at)
                    VALUES (@ImageId, (SELECT MAX(round) + 1 FROM crowd_tasks WHERE image_id = @ImageId), (SELECT overlap FROM crowd_tasks WHERE id = @TaskId), 'open', @at)
                    """, new { r.ImageId, r.TaskId, at = SqlCatalog.Iso(r.ConsolidatedAt) }, tx, cancellationToken: cancellationToken));
        }
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CrowdResult>> GetLatestResultsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string ImageId, long TaskId, string Method, string Content, double ContentConfidence, string Quality, double QualityConfidence, long Answers, string Outcome, string At)>(new CommandDefinition(
            """
            SELECT image_id, task_id, method, content, content_confidence, quality, quality_confidence, answers, outcome, consolidated_at
            FROM crowd_results WHERE id IN (SELECT MAX(id) FROM crowd_results GROUP BY image_id) ORDER BY image_id
            """, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CrowdResult
        {
            ImageId = r.ImageId, TaskId = r.TaskId, Method = ParseMethod(r.Method),
            Content = r.Content, ContentConfidence = r.ContentConfidence, Quality = r.Quality, QualityConfidence = r.QualityConfidence,
            Answers = (int)r.Answers, Outcome = Enum.Parse<CrowdOutcome>(r.Outcome, ignoreCase: true), ConsolidatedAt = Parse(r.At),
        })];
    }

    public static string MethodName(ConsolidationMethod method) => method switch
    {
        ConsolidationMethod.DawidSkene => "dawid-skene",
        ConsolidationMethod.WeightedMajority => "weighted-majority",
        _ => "majority",
    };

    private static ConsolidationMethod ParseMethod(string name) => name switch
    {
        "dawid-skene" => ConsolidationMethod.DawidSkene,
        "weighted-majority" => ConsolidationMethod.WeightedMajority,
        _ => ConsolidationMethod.Majority,
    };

    /// <summary>A write transaction holding the crowd lock: crowd writes check counts, then insert.</summary>
    private async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await catalog.Database.LockAsync(connection, tx, "crowd", cancellationToken);
        return tx;
    }

    private static async Task<CrowdTask?> GetTaskAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken cancellationToken)
    {
        var row = await connection.QueryFirstOrDefaultAsync<TaskRow>(new CommandDefinition($"SELECT {TaskColumns} FROM crowd_tasks WHERE id = @id",
            new { id }, tx, cancellationToken: cancellationToken));
        return row is null ? null : ToTask(row);
    }

    private static CrowdTask ToTask(TaskRow r) => new()
    {
        Id = r.id, ImageId = r.image_id, Round = (int)r.round, Overlap = (int)r.overlap, GoldContent = r.gold_content, GoldQuality = r.gold_quality,
        Status = r.status == "open" ? CrowdTaskStatus.Open : CrowdTaskStatus.Consolidated, CreatedAt = Parse(r.created_at),
    };

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);

#pragma warning disable IDE1006, CA1707 // Column-named rows for Dapper.
    private sealed record TaskRow(long id, string image_id, long round, long overlap, string? gold_content, string? gold_quality, string status, string created_at);
#pragma warning restore IDE1006, CA1707
}
