using System.Data.Common;
using System.Globalization;
using Dapper;
using Skillmaker.Jobs;

namespace Skillmaker.Storage;

/// <summary>The job ledger in the catalog's database (SQLite or PostgreSQL), beside the rows the jobs
/// write, so a batch's rows and its result can commit together.</summary>
public sealed class SqlJobLedger(SqlCatalog catalog) : IJobLedger
{
    public async Task CreateRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO job_runs (run_id, kind, context, created_at) VALUES (@RunId, @Kind, @Context, @at)",
            new { run.RunId, run.Kind, run.Context, at = SqlCatalog.Iso(run.CreatedAt) }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO job_batches (run_id, batch_index, items) VALUES (@runId, @index, @items)",
            run.BatchSizes.Select((items, index) => new { runId = run.RunId, index, items }), tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task SetJobIdAsync(string runId, int index, string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE job_batches SET job_id = @jobId WHERE run_id = @runId AND batch_index = @index",
            new { runId, index, jobId }, cancellationToken: cancellationToken));
    }

    public async Task<bool> CompleteBatchAsync(BatchCompletion completion, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await CompleteAsync(connection, null, completion, cancellationToken);
    }

    /// <summary>Records a batch's result inside the caller's transaction unless it has one.</summary>
    internal static async Task<bool> CompleteAsync(DbConnection connection, DbTransaction? tx, BatchCompletion completion, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE job_batches SET result = @Result, completed_at = @at WHERE run_id = @RunId AND batch_index = @Index AND completed_at IS NULL",
            new { completion.Result, at = SqlCatalog.Iso(completion.At), completion.RunId, completion.Index }, tx, cancellationToken: cancellationToken)) == 1;

    public async Task<bool> IsBatchDoneAsync(string runId, int index, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM job_batches WHERE run_id = @runId AND batch_index = @index AND completed_at IS NOT NULL",
            new { runId, index }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<JobRunProgress?> GetProgressAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string? FinishedAt, long Batches, long Done, long Items, long ItemsDone)?>(new CommandDefinition(
            """
            SELECT r.finished_at, COUNT(b.batch_index), COUNT(b.completed_at), CAST(COALESCE(SUM(b.items), 0) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN b.completed_at IS NULL THEN 0 ELSE b.items END), 0) AS BIGINT)
            FROM job_runs r LEFT JOIN job_batches b ON b.run_id = r.run_id
            WHERE r.run_id = @runId GROUP BY r.run_id, r.finished_at
            """, new { runId }, cancellationToken: cancellationToken));
        return row is { } r ? new JobRunProgress((int)r.Batches, (int)r.Done, (int)r.Items, (int)r.ItemsDone, r.FinishedAt is not null) : null;
    }

    public async Task<JobRunRecord?> GetRunAsync(string runId, bool withResults, CancellationToken cancellationToken) =>
        (await QueryRunsAsync("WHERE run_id = @runId", new { runId, limit = 1 }, withResults, cancellationToken)).SingleOrDefault();

    public async Task<string?> GetContextAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT context FROM job_runs WHERE run_id = @runId",
            new { runId }, cancellationToken: cancellationToken));
    }

    public async Task MarkFinishedAsync(string runId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE job_runs SET finished_at = @at WHERE run_id = @runId AND finished_at IS NULL",
            new { runId, at = SqlCatalog.Iso(at) }, cancellationToken: cancellationToken));
    }

    public Task<IReadOnlyList<JobRunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken) =>
        QueryRunsAsync("", new { limit }, withResults: false, cancellationToken);

    private async Task<IReadOnlyList<JobRunRecord>> QueryRunsAsync(string where, object parameters, bool withResults, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var runs = (await connection.QueryAsync<(string RunId, string Kind, string Context, string CreatedAt, string? FinishedAt)>(new CommandDefinition(
            $"SELECT run_id, kind, context, created_at, finished_at FROM job_runs {where} ORDER BY created_at DESC, run_id DESC LIMIT @limit",
            parameters, cancellationToken: cancellationToken))).ToList();
        if (runs.Count == 0) return [];
        var ids = runs.Select(r => r.RunId).ToList();
        var batches = (await connection.QueryAsync<(string RunId, long Index, long Items, string? JobId, string? Result, string? CompletedAt)>(new CommandDefinition(
            $"SELECT run_id, batch_index, items, job_id, {(withResults ? "result" : "NULL")}, completed_at FROM job_batches WHERE {catalog.In("run_id", "ids")} ORDER BY run_id, batch_index",
            new { ids }, cancellationToken: cancellationToken))).ToLookup(b => b.RunId);
        return [.. runs.Select(r => new JobRunRecord
        {
            RunId = r.RunId,
            Kind = r.Kind,
            Context = r.Context,
            CreatedAt = Parse(r.CreatedAt),
            FinishedAt = r.FinishedAt is null ? null : Parse(r.FinishedAt),
            Batches = [.. batches[r.RunId].Select(b => new JobBatchRecord((int)b.Index, (int)b.Items, b.JobId, b.Result, b.CompletedAt is null ? null : Parse(b.CompletedAt)))],
        })];
    }

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
