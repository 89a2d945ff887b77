using System.Text.Json.Serialization;
using Skillmaker.Common;

namespace Skillmaker.Jobs;

/// <summary>The <c>jobs</c> section of the workspace config. With <see cref="Storage"/> set the workspace is
/// in server mode: long commands (ingest, detect, and later embeddings, train-all, eval) are split into
/// batch jobs that <c>skillmaker worker</c> processes on any number of machines.</summary>
public sealed record JobsSettings
{
    /// <summary>Where jobs wait: <c>postgres://user@host[:port]/database[?schema=name]</c> (Hangfire's tables go
    /// into that schema, default <c>hangfire</c>). The password comes from PGPASSWORD. Default null: every
    /// command runs in its own process.</summary>
    public string? Storage { get; init; }

    /// <summary>Items (files, images) per job. Default 32: big enough that a job's overhead is small,
    /// small enough that a killed worker loses little.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seconds a job a worker took stays hidden from other workers. A live worker renews it (its
    /// heartbeat, every fifth of this); a killed worker's job is handed out again this long after it died.
    /// Shared: the value recorded beside the queue by the submitting commands applies to every worker.
    /// Default 30.</summary>
    public int InvisibilityTimeoutSeconds { get; init; } = 30;

    /// <summary>Seconds to wait before each automatic retry of a failed job; as many retries as entries. Enough
    /// for a database or S3 blip, few enough that a real fault reaches the waiting command within a minute.
    /// Default [2, 10, 30].</summary>
    public IReadOnlyList<int> RetryDelaysSeconds { get; init; } = [2, 10, 30];

    /// <summary>How often idle workers look for jobs and waiting commands look at progress. Default 1.</summary>
    public double PollIntervalSeconds { get; init; } = 1;

    [JsonIgnore]
    public bool ServerMode => Storage is not null;

    [JsonIgnore]
    public TimeSpan InvisibilityTimeout => TimeSpan.FromSeconds(InvisibilityTimeoutSeconds);

    [JsonIgnore]
    public TimeSpan PollInterval => TimeSpan.FromSeconds(PollIntervalSeconds);

    /// <summary>Throws a <see cref="SkillmakerException"/> naming every bad value and what was expected.</summary>
    public JobsSettings Validated(string where)
    {
        var errors = new List<string>();
        if (Storage is { } s && !(s.StartsWith("postgres://", StringComparison.Ordinal) || s.StartsWith("postgresql://", StringComparison.Ordinal)))
            errors.Add($"storage is '{s}'; expected postgres://user@host[:port]/database[?schema=name]");
        if (BatchSize is < 1 or > 10_000) errors.Add($"batchSize is {BatchSize}; expected 1..10000 items per job");
        if (InvisibilityTimeoutSeconds is < 1 or > 86_400) errors.Add($"invisibilityTimeoutSeconds is {InvisibilityTimeoutSeconds}; expected 1..86400");
        if (RetryDelaysSeconds.Count > 20 || RetryDelaysSeconds.Any(d => d is < 0 or > 86_400))
            errors.Add($"retryDelaysSeconds is [{string.Join(", ", RetryDelaysSeconds)}]; expected at most 20 delays of 0..86400 seconds");
        if (!(PollIntervalSeconds is >= 0.05 and <= 60)) errors.Add($"pollIntervalSeconds is {PollIntervalSeconds}; expected 0.05..60");
        if (errors.Count > 0) throw new SkillmakerException($"{where}: {string.Join("; ", errors)}.");
        return this;
    }
}
