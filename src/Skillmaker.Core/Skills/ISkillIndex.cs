namespace Skillmaker.Skills;

/// <summary>A skill version as the shared index holds it. Reserved first (so trainers on different
/// machines get different numbers), published once its files are in the blob store; the files never
/// change after that.</summary>
public sealed record SkillVersionRecord
{
    public required string Skill { get; init; }
    public required int Version { get; init; }
    /// <summary>Who reserved the number: a job's run and batch (so its retry gets the same number) or one trainer's id.</summary>
    public required string Owner { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }
    /// <summary>Package file name → SHA-256 of its bytes (its blob id); empty until published.</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    public bool Published => PublishedAt is not null;
}

/// <summary>The catalog's index of skill packages whose files live in the blob store: what makes a
/// version trained on one machine loadable on every other (workers, promote, serve). The metadata store
/// is separate from the artifact store, as in MLflow.</summary>
public interface ISkillIndex
{
    /// <summary>Reserves the next version of <paramref name="skill"/> (at least <paramref name="atLeast"/>)
    /// for <paramref name="owner"/>, or returns the one <paramref name="owner"/> already holds: a retried
    /// job gets the number of its first attempt.</summary>
    Task<SkillVersionRecord> ReserveAsync(string skill, string owner, int atLeast, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records the files of a reserved version once. Publishing the same files again is harmless;
    /// other files for a published version, or a version <paramref name="owner"/> does not hold, are refused.</summary>
    Task PublishAsync(string skill, int version, string owner, IReadOnlyDictionary<string, string> files, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Published versions, by skill then version; all skills when <paramref name="skill"/> is null.</summary>
    Task<IReadOnlyList<SkillVersionRecord>> ListPublishedAsync(string? skill, CancellationToken cancellationToken);

    Task<SkillVersionRecord?> GetAsync(string skill, int version, CancellationToken cancellationToken);

    Task<SkillVersionRecord?> GetByOwnerAsync(string owner, CancellationToken cancellationToken);

    /// <summary>Gives back a number <paramref name="owner"/> reserved and never published (its training
    /// failed), so the next trainer takes it. Returns false when there was nothing to release.</summary>
    Task<bool> ReleaseAsync(string skill, int version, string owner, CancellationToken cancellationToken);
}
