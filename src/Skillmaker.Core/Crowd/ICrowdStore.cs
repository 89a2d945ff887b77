namespace Skillmaker.Crowd;

/// <summary>Crowd tasks, locks, answers and consolidated results. Every write is one transaction.</summary>
public interface ICrowdStore
{
    /// <summary>Queues a task for each crop that has no open task yet; returns how many were queued.</summary>
    Task<int> EnqueueAsync(IReadOnlyList<string> imageIds, int overlap, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Makes the crop's open task a gold task with a known answer (queues one when needed).</summary>
    Task<CrowdTask> SetGoldAsync(string imageId, string content, string quality, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Crops (image ids) that have never been queued.</summary>
    Task<IReadOnlyList<string>> GetUnqueuedCropsAsync(CancellationToken cancellationToken);

    /// <summary>The task a worker holds now (reserved, unanswered, not run out), without reserving one.</summary>
    Task<CrowdAssignment?> GetHeldAsync(string worker, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Reserves the next task for a worker: the one they already hold, else a task they have
    /// not answered (in any round of the same crop) that still needs workers (every
    /// <paramref name="goldEvery"/>th one a gold task).</summary>
    Task<CrowdAssignment?> AcquireAsync(string worker, DateTimeOffset now, TimeSpan lockDuration, int goldEvery, CancellationToken cancellationToken);

    /// <summary>Records a worker's answer to a task they hold; seconds are measured from the lock.</summary>
    Task<SubmitOutcome> SubmitAsync(long taskId, string worker, string content, string quality, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records answers from an outside platform in one transaction and says what became of
    /// each, in order: an answer whose external id, or whose (task, worker), is already recorded is a
    /// duplicate; an answer to a task that was consolidated, or that already has its overlap, is refused.</summary>
    Task<IReadOnlyList<ImportStatus>> ImportAnswersAsync(IReadOnlyList<CrowdAnswer> answers, CancellationToken cancellationToken);

    Task<IReadOnlyList<CrowdTask>> GetTasksAsync(IReadOnlyCollection<long>? ids, bool openOnly, CancellationToken cancellationToken);

    /// <summary>All answers (for consolidation, which learns workers from everything they answered).</summary>
    Task<IReadOnlyList<CrowdAnswer>> GetAnswersAsync(CancellationToken cancellationToken);

    /// <summary>Writes results, closes their tasks, and queues the next round (same overlap) for those sent back.</summary>
    Task SaveConsolidationAsync(IReadOnlyList<CrowdResult> results, CancellationToken cancellationToken);

    /// <summary>The instructions admins wrote, one per answer option that has any.</summary>
    Task<IReadOnlyList<CrowdInstruction>> GetInstructionsAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the instructions of the given options in one transaction.</summary>
    Task SaveInstructionsAsync(IReadOnlyList<CrowdInstruction> instructions, CancellationToken cancellationToken);

    /// <summary>The latest consolidated result per crop.</summary>
    Task<IReadOnlyList<CrowdResult>> GetLatestResultsAsync(CancellationToken cancellationToken);
}
