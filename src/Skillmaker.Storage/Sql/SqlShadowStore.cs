using Dapper;
using Skillmaker.Evaluation;
using Skillmaker.Serving;

namespace Skillmaker.Storage;

/// <summary>Shadow answer counts beside the catalog, in portable SQL (table from the <c>shadow</c> module).</summary>
public sealed class SqlShadowStore(SqlCatalog catalog) : IShadowStore
{
    public async Task AddAsync(IReadOnlyList<ShadowTally> tallies, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (tallies.Count == 0) return;
        foreach (var t in tallies)
            if (t.Agreement is not ("agree" or "disagree") || t.Answers < 0)
                throw new ArgumentException($"A shadow tally is 'agree' or 'disagree' with a count ≥ 0; got '{t.Agreement}' {t.Answers}.", nameof(tallies));
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        var iso = SqlCatalog.Iso(at);
        foreach (var t in tallies)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO shadow_answers (skill, staging_version, production_version, agreement, answers, updated_at)
                VALUES (@Skill, @StagingVersion, @ProductionVersion, @Agreement, @Answers, @iso)
                ON CONFLICT (skill, staging_version, production_version, agreement)
                DO UPDATE SET answers = shadow_answers.answers + excluded.answers, updated_at = excluded.updated_at
                """, new { t.Skill, t.StagingVersion, t.ProductionVersion, t.Agreement, Answers = (long)t.Answers, iso }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<ShadowAgreement> GetAsync(string skill, int stagingVersion, int productionVersion, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string Agreement, long Answers)>(new CommandDefinition(
            "SELECT agreement, answers FROM shadow_answers WHERE skill = @skill AND staging_version = @stagingVersion AND production_version = @productionVersion",
            new { skill, stagingVersion, productionVersion }, cancellationToken: cancellationToken))).ToList();
        int Count(string agreement) => (int)rows.Where(r => r.Agreement == agreement).Sum(r => r.Answers);
        return new ShadowAgreement(skill, stagingVersion, productionVersion, Count("agree"), Count("disagree"));
    }
}
