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

    /// <summary>Records the run and enqueues one job per <see cref="JobsSettings.BatchSize"/> items (or
    /// <paramref name="batchSize"/>: 1 for work as big as a whole skill). With no items there is no job to
    /// finish the run, so <paramref name="finisher"/> finishes it here.</summary>
    public async Task<JobRunProgress> SubmitAsync<T>(string kind, string runId, WorkspaceRef workspace, IReadOnlyList<T> items, object context,
        IBatchHandler finisher, CancellationToken cancellationToken, int? batchSize = null)
    {
        var batches = items.Chunk(batchSize ?? settings.BatchSize).ToList();
        var run = new JobRun(runId, kind, JobJson.Write(context), time.GetUtcNow(), [.. batches.Select(b => b.Length)]);
        await ledger.CreateRunAsync(run, cancellationToken).ConfigureAwait(false);
        if (batches.Count == 0)
        {
            await finisher.FinishAsync(new JobRunRecord { RunId = runId, Kind = kind, Context = run.Context, CreatedAt = run.CreatedAt }, cancellationToken).ConfigureAwait(false);
            await ledger.MarkFinishedAsync(runId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return new JobRunProgress(0, 0, 0, 0, true);
        }
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = new JobBatch { Kind = kind, RunId = runId, Index = i, Batches = batches.Count, Workspace = workspace, Payload = JobJson.Write(batches[i]) };
            var jobId = await queue.EnqueueAsync(kind, batch, cancellationToken).ConfigureAwait(false);
            await ledger.SetJobIdAsync(runId, i, jobId, cancellationToken).ConfigureAwait(false);
        }
        LogSubmitted(kind, runId, batches.Count, items.Count, queue.Location);
        return new JobRunProgress(batches.Count, 0, items.Count, 0, false);
    }

    /// <summary>Reports items done until the run is finished and returns it with every result. Throws when
    /// a job failed for good (its retries are used up) or was deleted.</summary>
    public async Task<JobRunRecord> WaitAsync(string runId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var lastCheck = time.GetTimestamp();
        while (true)
        {
            var p = await ledger.GetProgressAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new SkillmakerException($"Run {runId} is not in the job ledger; expected the id of a submitted run (see skillmaker jobs list).");
            progress?.Report((p.ItemsDone, p.Items));
            if (p.Finished) return (await ledger.GetRunAsync(runId, withResults: true, cancellationToken).ConfigureAwait(false))!;
            if (time.GetElapsedTime(lastCheck) >= FailureCheckInterval)
            {
                await ThrowIfFailedAsync(runId, cancellationToken).ConfigureAwait(false);
                lastCheck = time.GetTimestamp();
            }
            await Task.Delay(settings.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Like <see cref="WaitAsync"/>, but a job that failed for good does not stop the wait: it returns
    /// once the run is finished or every open batch has failed for good, with those batches' errors by index.
    /// For runs whose batches are independent results (a skill each), where one failure must not hide the others.</summary>
    public async Task<(JobRunRecord Run, IReadOnlyDictionary<int, string> Failures)> WaitSettledAsync(string runId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var lastCheck = time.GetTimestamp();
        while (true)
        {
            var p = await ledger.GetProgressAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new SkillmakerException($"Run {runId} is not in the job ledger; expected the id of a submitted run (see skillmaker jobs list).");
            progress?.Report((p.ItemsDone, p.Items));
            if (p.Finished) return ((await ledger.GetRunAsync(runId, withResults: true, cancellationToken).ConfigureAwait(false))!, new Dictionary<int, string>());
            if (time.GetElapsedTime(lastCheck) >= FailureCheckInterval)
            {
                var run = (await ledger.GetRunAsync(runId, withResults: true, cancellationToken).ConfigureAwait(false))!;
                var failures = new Dictionary<int, string>();
                var open = run.Batches.Where(b => !b.Done).ToList();
                foreach (var batch in open.Where(b => b.JobId is not null))
                {
                    var status = await queue.GetStatusAsync(batch.JobId!, cancellationToken).ConfigureAwait(false);
                    if (status.State == JobState.Failed) failures[batch.Index] = $"failed on a worker and its retries are used up (job {batch.JobId}): {status.Error ?? "no reason given"}";
                    else if (status.State == JobState.Deleted) failures[batch.Index] = $"was deleted from the job queue (job {batch.JobId})";
                    else break;
                }
                if (open.Count > 0 && failures.Count == open.Count) return (run, failures);
                lastCheck = time.GetTimestamp();
            }
            await Task.Delay(settings.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ThrowIfFailedAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await ledger.GetRunAsync(runId, withResults: false, cancellationToken).ConfigureAwait(false);
        if (run is null) return;
        // When every batch is done the last job is finishing the run; it may be the one that failed.
        var open = run.Batches.All(b => b.Done) ? run.Batches : run.Batches.Where(b => !b.Done);
        foreach (var batch in open.Where(b => b.JobId is not null).Take(FailureCheckBatches))
        {
            var status = await queue.GetStatusAsync(batch.JobId!, cancellationToken).ConfigureAwait(false);
            var what = $"{run.Kind} run {runId}: batch {batch.Index + 1} of {run.Batches.Count} (job {batch.JobId})";
            if (status.State == JobState.Failed)
                throw new SkillmakerException($"{what} failed on a worker and its retries are used up: {status.Error ?? "no reason given"}. " +
                    "Finished batches are kept; fix the cause, then requeue the job in the dashboard (/jobs) or run the command again.");
            if (status.State == JobState.Deleted)
                throw new SkillmakerException($"{what} was deleted from the job queue, so the run cannot finish; run the command again.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} run {RunId}: {Batches} jobs for {Items} items enqueued at {Queue}")]
    private partial void LogSubmitted(string kind, string runId, int batches, int items, string queue);
}
