using Microsoft.Extensions.Logging;
using Skillmaker.Common;

namespace Skillmaker.Jobs;

/// <summary>The command's side of a distributed run: splits the work into batch jobs, enqueues them on the
/// queue named by their kind, and waits with progress until the run is finished (or a job failed for good).</summary>
public sealed partial class JobDispatcher(IJobQueue queue, IJobLedger ledger, JobsSettings settings, TimeProvider time, ILogger<JobDispatcher> logger)
{
    // Failed jobs are looked for less often than progress: it costs one query per open batch.
    private static readonly TimeSpan FailureCheckInterval = TimeSpan.FromSeconds(5);
    // Jobs run roughly in order, so a job that failed for good is among the first open batches.
    private const int FailureCheckBatches = 100;

    public string QueueLocation => queue.Location;

    /// <summary>What the queue says of one job (waiting, running, failed for good...).</summary>
    public Task<JobStatus> JobStatusAsync(string jobId, CancellationToken cancellationToken) => queue.GetStatusAsync(jobId, cancellationToken);

    /// <summary>Records the run and enqueues one job per <see cref="JobsSettings.BatchSize"/> items (or
    /// <paramref name="batchSize"/>: 1 for work as big as a whole skill). With no items there is no job to
    /// finish the run, so <paramref name="finisher"/> finishes it here.</summary>
    public async Task<JobRunProgress> SubmitAsync<T>(string kind, string runId, WorkspaceRef workspace, IReadOnlyList<T> items, object context,
        IBatchHandler finisher, CancellationToken cancellationToken, int? batchSize = null)
    {
        var batches = items.Chunk(batchSize ?? settings.BatchSize).ToList();
        var run = new JobRun(runId, kind, JobJson.Write(context), time.GetUtcNow(), [.. batches.Select(b => b.Length)]);
        await ledger.CreateRunAsync(run, cancellationToken);
        if (batches.Count == 0)
        {
            await finisher.FinishAsync(new JobRunRecord { RunId = runId, Kind = kind, Context = run.Context, CreatedAt = run.CreatedAt }, cancellationToken);
            await ledger.MarkFinishedAsync(runId, time.GetUtcNow(), cancellationToken);
            return new JobRunProgress(0, 0, 0, 0, true);
        }
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = new JobBatch { Kind = kind, RunId = runId, Index = i, Batches = batches.Count, Workspace = workspace, Payload = JobJson.Write(batches[i]) };
            var jobId = await queue.EnqueueAsync(kind, batch, cancellationToken);
            await ledger.SetJobIdAsync(runId, i, jobId, cancellationToken);
        }
        LogSubmitted(kind, runId, batches.Count, items.Count, queue.Location);
        return new JobRunProgress(batches.Count, 0, items.Count, 0, false);
    }

    /// <summary>Reports items done until the run is finished and returns it with every result. Throws when
    /// a job failed for good (its retries are used up) or was deleted.</summary>
    public async Task<JobRunRecord> WaitAsync(string runId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (run, failed) = await PollAsync(runId, progress, settle: false, cancellationToken);
        if (failed.Count == 0) return run;
        var (batch, status) = failed[0];
        var what = $"{run.Kind} run {runId}: batch {batch.Index + 1} of {run.Batches.Count} (job {batch.JobId})";
        throw new SkillmakerException(status.State == JobState.Failed
            ? $"{what} failed on a worker and its retries are used up: {status.Error ?? "no reason given"}. " +
              "Finished batches are kept; fix the cause, then requeue the job in the dashboard (/jobs) or run the command again."
            : $"{what} was deleted from the job queue, so the run cannot finish; run the command again.");
    }

    /// <summary>Like <see cref="WaitAsync"/>, but a job that failed for good does not stop the wait: it returns
    /// once the run is finished or every open batch has failed for good, with those batches' errors by index.
    /// For runs whose batches are independent results (a skill each), where one failure must not hide the others.</summary>
    public async Task<(JobRunRecord Run, IReadOnlyDictionary<int, string> Failures)> WaitSettledAsync(string runId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (run, failed) = await PollAsync(runId, progress, settle: true, cancellationToken);
        // A batch that has its result succeeded, even when the job that finished the run failed after it.
        return (run, failed.Where(f => !f.Batch.Done).ToDictionary(f => f.Batch.Index, f => f.Status.State == JobState.Failed
            ? $"failed on a worker and its retries are used up (job {f.Batch.JobId}): {f.Status.Error ?? "no reason given"}"
            : $"was deleted from the job queue (job {f.Batch.JobId})"));
    }

    /// <summary>Polls until the run is finished (no failures returned) or its jobs say it cannot finish: any
    /// job failed for good or deleted, or with <paramref name="settle"/>, every open batch's job (once all
    /// batches are done: the job finishing the run). The run comes back with every result.</summary>
    private async Task<(JobRunRecord Run, IReadOnlyList<(JobBatchRecord Batch, JobStatus Status)> Failed)> PollAsync(string runId, IProgress<(int Done, int Total)>? progress,
        bool settle, CancellationToken cancellationToken)
    {
        var lastCheck = time.GetTimestamp();
        long? lostSince = null;
        var failures = 0;
        while (true)
        {
            try
            {
                var p = await ledger.GetProgressAsync(runId, cancellationToken)
                    ?? throw new SkillmakerException($"Run {runId} is not in the job ledger; expected the id of a submitted run (see skillmaker jobs list).");
                progress?.Report((p.ItemsDone, p.Items));
                if (p.Finished) return (await RunWithResultsAsync(runId, cancellationToken), []);
                if (time.GetElapsedTime(lastCheck) >= FailureCheckInterval)
                {
                    var failed = await FailedJobsAsync(runId, settle, cancellationToken);
                    if (failed.Count > 0) return (await RunWithResultsAsync(runId, cancellationToken), failed);
                    lastCheck = time.GetTimestamp();
                }
                if (lostSince is not null) LogReconnected(runId, time.GetElapsedTime(lostSince.Value).TotalSeconds);
                lostSince = null;
                failures = 0;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsConnectionLost(ex))
            {
                // The database restarting or a network blip: the jobs go on, so waiting goes on too.
                lostSince ??= time.GetTimestamp();
                var lost = time.GetElapsedTime(lostSince.Value);
                if (lost >= MaxOutage)
                    throw new SkillmakerException($"Lost the database for {lost.TotalMinutes:0} minutes while waiting for {runId}: {Reason(ex)}. " +
                        $"The jobs go on on the workers; once the database is back, follow them with: skillmaker jobs wait {runId}", ex);
                // Waits of 1, 2, 4 … 30 s: quick through a restart, gentle through an outage.
                var retryDelay = TimeSpan.FromTicks(Math.Min(FirstReconnectDelay.Ticks << Math.Min(failures++, 5), MaxReconnectDelay.Ticks));
                LogConnectionLost(runId, Reason(ex), retryDelay.TotalSeconds);
                await Task.Delay(retryDelay, time, cancellationToken);
                continue;
            }
            await Task.Delay(settings.PollInterval, time, cancellationToken);
        }
    }

    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);
    // Long enough for a database restart or failover; a waiting command then says how to resume.
    private static readonly TimeSpan MaxOutage = TimeSpan.FromMinutes(15);

    /// <summary>True when <paramref name="exception"/> (or one it wraps) says the connection to the database was
    /// lost or could not be made for now: a transient fault, an administrator's shutdown (57P01), a
    /// server that is starting (57P03), a broken connection (08…) or socket.</summary>
    public static bool IsConnectionLost(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException db && (db.IsTransient || db.SqlState is { } state && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal))))
                return true;
            if (e is System.Net.Sockets.SocketException or IOException or TimeoutException) return true;
        }
        return false;
    }

    private static string Reason(Exception ex)
    {
        var innermost = ex;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return innermost == ex ? ex.Message : $"{ex.Message} ({innermost.Message})";
    }

    /// <summary>The jobs that stop the run from finishing; empty while it still can.</summary>
    private async Task<IReadOnlyList<(JobBatchRecord Batch, JobStatus Status)>> FailedJobsAsync(string runId, bool settle, CancellationToken cancellationToken)
    {
        var run = await ledger.GetRunAsync(runId, withResults: false, cancellationToken);
        if (run is null) return [];
        // When every batch is done the last job is finishing the run; it may be the one that failed.
        var allDone = run.Batches.All(b => b.Done);
        var open = (allDone ? run.Batches : run.Batches.Where(b => !b.Done)).Where(b => b.JobId is not null).ToList();
        var failed = new List<(JobBatchRecord, JobStatus)>();
        foreach (var batch in settle ? open : open.Take(FailureCheckBatches))
        {
            var status = await queue.GetStatusAsync(batch.JobId!, cancellationToken);
            if (status.State is JobState.Failed or JobState.Deleted)
            {
                failed.Add((batch, status));
                if (!settle) return failed;
            }
            // With settle, a job still waiting or running means an unfinished run can still settle by itself.
            else if (settle && !allDone) return [];
        }
        return failed;
    }

    private async Task<JobRunRecord> RunWithResultsAsync(string runId, CancellationToken cancellationToken) =>
        (await ledger.GetRunAsync(runId, withResults: true, cancellationToken))!;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the database while waiting for {RunId} ({Reason}); the jobs go on; trying again in {Seconds} s")]
    private partial void LogConnectionLost(string runId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database back after {Seconds:0} s; waiting for {RunId} goes on")]
    private partial void LogReconnected(string runId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} run {RunId}: {Batches} jobs for {Items} items enqueued at {Queue}")]
    private partial void LogSubmitted(string kind, string runId, int batches, int items, string queue);
}
