namespace Skillmaker.Crowd;

/// <summary>Crowd settings. Defaults suit a small in-house crowd.</summary>
public sealed record CrowdOptions
{
    /// <summary>Distinct workers who answer each task. Default 3.</summary>
    public int Overlap { get; init; } = 3;
    /// <summary>How long a task stays reserved for the worker it was shown to. Default 10 minutes.</summary>
    public TimeSpan LockDuration { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Every Nth task a worker gets is a gold task (when one is left for them). Default 10.</summary>
    public int GoldEvery { get; init; } = 10;
    /// <summary>Rounds an item may go back to the queue after ending unsure before it goes to the
    /// expert instead. Default 1.</summary>
    public int MaxRequeues { get; init; } = 1;
    /// <summary>An item whose best answer's confidence (posterior, or vote share for majority) is below
    /// this ends unsure. Default 0.6.</summary>
    public double MinPosterior { get; init; } = 0.6;
    /// <summary>Dawid–Skene decides an item only when each of its workers has at least this many answers;
    /// other items get the gold-weighted majority. Default 20.</summary>
    public int MinWorkerAnswers { get; init; } = 20;
}

public enum CrowdTaskStatus { Open, Consolidated }

/// <summary>One crop to be answered by <see cref="Overlap"/> workers. A gold task carries the known
/// answer and is used to score workers, not consolidated.</summary>
public sealed record CrowdTask
{
    public required long Id { get; init; }
    public required string ImageId { get; init; }
    public required int Round { get; init; }
    public required int Overlap { get; init; }
    public string? GoldContent { get; init; }
    public string? GoldQuality { get; init; }
    public required CrowdTaskStatus Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public bool IsGold => GoldContent is not null;
    /// <summary>Task id as handed to outside platforms.</summary>
    public string PublicId => $"T{Id}";

    public static long ParsePublicId(string value) =>
        value.Length > 1 && (value[0] is 'T' or 't') && long.TryParse(value.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0
            ? id : throw new FormatException($"'{value}' is not a task id; expected T followed by a number, e.g. T12.");
}

public sealed record CrowdAnswer
{
    public required long TaskId { get; init; }
    public required string Worker { get; init; }
    public required string Content { get; init; }
    public required string Quality { get; init; }
    /// <summary>Seconds the worker spent; null when unknown.</summary>
    public double? Seconds { get; init; }
    /// <summary>"web" or "mturk".</summary>
    public required string Channel { get; init; }
    /// <summary>The outside platform's id for the answer (MTurk AssignmentId), for idempotent imports.</summary>
    public string? ExternalId { get; init; }
    public required DateTimeOffset AnsweredAt { get; init; }
}

/// <summary>What workers read about one answer option, with an example crop.</summary>
/// <param name="Option">The option, as "content:exterior" or "quality:blurry" (<see cref="CrowdQuestions.OptionKey"/>).</param>
/// <param name="ExampleImageId">A crop that shows the option; null for none.</param>
public sealed record CrowdInstruction(string Option, string Text, string? ExampleImageId, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>A task reserved for a worker until <see cref="ExpiresAt"/>.</summary>
public sealed record CrowdAssignment(CrowdTask Task, string Worker, DateTimeOffset LockedAt, DateTimeOffset ExpiresAt);

public enum SubmitOutcome { Recorded, AlreadyAnswered, NotAssigned, TaskFull, UnknownTask }

/// <summary>What became of one imported answer.</summary>
public enum ImportStatus
{
    Recorded,
    /// <summary>Already recorded (same assignment, or the worker had answered that task).</summary>
    Duplicate,
    /// <summary>Refused: the task was consolidated before the answer arrived.</summary>
    TaskConsolidated,
    /// <summary>Refused: the task already has all the answers its overlap asks for.</summary>
    TaskFull,
}

public sealed record WorkerScore(string Worker, int Answers, int GoldAnswers, int GoldContentCorrect, int GoldQualityCorrect)
{
    public double? GoldContentAccuracy => GoldAnswers == 0 ? null : (double)GoldContentCorrect / GoldAnswers;
    public double? GoldQualityAccuracy => GoldAnswers == 0 ? null : (double)GoldQualityCorrect / GoldAnswers;
}

/// <summary>How answers become one answer per crop (docs/crowd.md compares them on simulated crowds).</summary>
public enum ConsolidationMethod
{
    /// <summary>Most votes wins; a tie ends unsure. Confidence is the vote share.</summary>
    Majority,
    /// <summary>Dawid–Skene where every worker of the item has enough answers, else the gold-weighted majority.</summary>
    DawidSkene,
    /// <summary>Votes weighted by each worker's gold accuracy; confidence is the posterior.</summary>
    WeightedMajority,
}

public enum CrowdOutcome
{
    /// <summary>Both questions have an answer.</summary>
    Resolved,
    /// <summary>Ended unsure; a new round of the task was queued.</summary>
    Requeued,
    /// <summary>Ended unsure after the allowed rounds; an expert decides.</summary>
    Escalated,
}

/// <summary>The consolidated answer for one crop.</summary>
public sealed record CrowdResult
{
    public required string ImageId { get; init; }
    public required long TaskId { get; init; }
    public required ConsolidationMethod Method { get; init; }
    public required string Content { get; init; }
    public required double ContentConfidence { get; init; }
    public required string Quality { get; init; }
    public required double QualityConfidence { get; init; }
    public required int Answers { get; init; }
    public required CrowdOutcome Outcome { get; init; }
    public required DateTimeOffset ConsolidatedAt { get; init; }
}

public sealed record CrowdQueueCounts(int OpenTasks, int GoldTasks, int AssignmentsLeft, int Answers, int ConsolidatedTasks);
