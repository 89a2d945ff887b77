namespace Skillmaker.Jobs;

/// <summary>The job engine: where batches wait until a worker takes them. Hangfire on PostgreSQL
/// implements it (Skillmaker.Workers); the engine retries failed jobs and hands out again the jobs of a
/// worker that died.</summary>
public interface IJobQueue
{
    /// <summary>Human-readable location, never a password.</summary>
    string Location { get; }

    /// <summary>Enqueues one batch on the queue named <paramref name="queue"/>; returns the job's id.</summary>
    Task<string> EnqueueAsync(string queue, JobBatch batch, CancellationToken cancellationToken);

    Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken);
}

/// <summary>What the catalog's database knows of distributed runs: their batches, which are done, and
/// the results. It lives beside the data the jobs write, so a batch's writes and its result can commit
/// in one transaction.</summary>
public interface IJobLedger
{
    Task CreateRunAsync(JobRun run, CancellationToken cancellationToken);

    Task SetJobIdAsync(string runId, int index, string jobId, CancellationToken cancellationToken);

    /// <summary>Records a batch's result unless it has one; returns true when this call recorded it.</summary>
    Task<bool> CompleteBatchAsync(BatchCompletion completion, CancellationToken cancellationToken);

    Task<bool> IsBatchDoneAsync(string runId, int index, CancellationToken cancellationToken);

    /// <summary>Counts only (cheap enough to poll); null for an unknown run.</summary>
    Task<JobRunProgress?> GetProgressAsync(string runId, CancellationToken cancellationToken);

    /// <summary>The run with every batch (and their results when asked for); null for an unknown run.</summary>
    Task<JobRunRecord?> GetRunAsync(string runId, bool withResults, CancellationToken cancellationToken);

    Task<string?> GetContextAsync(string runId, CancellationToken cancellationToken);

    Task MarkFinishedAsync(string runId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The newest runs first, without batch results.</summary>
    Task<IReadOnlyList<JobRunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>Does one kind of batch on a worker. Both methods must be idempotent: a batch runs again when
/// its worker died before the engine heard it finished, and two last batches may both finish the run.</summary>
public interface IBatchHandler
{
    /// <summary>Does the batch and returns its result as JSON.</summary>
    Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken);

    /// <summary>Called when every batch of the run has its result.</summary>
    Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken);
}

/// <summary>One workspace's engines as a worker opened them, kept while the worker runs.</summary>
public interface IJobEnvironment : IAsyncDisposable
{
    IJobLedger Ledger { get; }

    /// <summary>The handler for <paramref name="kind"/>; throws a SkillmakerException for a kind this worker does not know.</summary>
    IBatchHandler Handler(string kind);
}
