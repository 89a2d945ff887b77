using Skillmaker.Evaluation;

namespace Skillmaker.Registry;

/// <summary>Names that point at immutable skill versions. Promotion moves an alias; versions never change.</summary>
public static class Aliases
{
    public const string Production = "production";
    public const string Staging = "staging";
    public static readonly IReadOnlyList<string> All = [Production, Staging];
}

public sealed record AliasMove(string Skill, string Alias, int? FromVersion, int ToVersion, string Who, DateTimeOffset At, string Why);

public sealed record VersionStatus(string Skill, int Version, string Status, string Note, string Who, DateTimeOffset At);

/// <summary>Aliases with their full history, version statuses ("needs investigation") and stored
/// evaluations. Every move is one transaction with its history line.</summary>
public interface IAliasRegistry
{
    Task<int?> GetAliasAsync(string skill, string alias, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, int>> GetAliasesAsync(string skill, CancellationToken cancellationToken);

    /// <summary>Points <paramref name="alias"/> at <paramref name="toVersion"/> and records who, when and why.</summary>
    Task<AliasMove> MoveAliasAsync(string skill, string alias, int toVersion, string who, string why, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Moves, oldest first; all skills when <paramref name="skill"/> is null.</summary>
    Task<IReadOnlyList<AliasMove>> GetHistoryAsync(string? skill, CancellationToken cancellationToken);

    Task SetStatusAsync(VersionStatus status, CancellationToken cancellationToken);

    /// <summary>The latest status of a version, or null when none was set.</summary>
    Task<VersionStatus?> GetStatusAsync(string skill, int version, CancellationToken cancellationToken);

    /// <summary>Stores an evaluation once: saving the same one again (same skill, version, manifest, machine
    /// and time, as a retried job does) adds nothing.</summary>
    Task SaveEvaluationAsync(EvaluationSummary summary, CancellationToken cancellationToken);

    /// <summary>The latest stored evaluation of a version on a manifest (any machine when null).</summary>
    Task<EvaluationSummary?> GetEvaluationAsync(string skill, int version, string manifestId, string? machine, CancellationToken cancellationToken);
}
