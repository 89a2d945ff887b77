using Skillmaker.Evaluation;

namespace Skillmaker.Serving;

/// <summary>Shadow answers to add: a staging version answered <see cref="Answers"/> crops beside a
/// production version, agreeing with it or not (<see cref="Agreement"/>: "agree" or "disagree").</summary>
public sealed record ShadowTally(string Skill, int StagingVersion, int ProductionVersion, string Agreement, int Answers);

/// <summary>Shadow answer counts the servers keep beside the catalog, so promotion can read them.</summary>
public interface IShadowStore
{
    /// <summary>Adds the tallies (one transaction; counts only ever grow).</summary>
    Task AddAsync(IReadOnlyList<ShadowTally> tallies, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>What <paramref name="stagingVersion"/> of <paramref name="skill"/> answered beside
    /// <paramref name="productionVersion"/> (zeros when nothing was counted).</summary>
    Task<ShadowAgreement> GetAsync(string skill, int stagingVersion, int productionVersion, CancellationToken cancellationToken);
}
