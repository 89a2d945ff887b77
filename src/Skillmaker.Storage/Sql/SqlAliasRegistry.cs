using System.Data;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Skillmaker.Evaluation;
using Skillmaker.Registry;

namespace Skillmaker.Storage;

/// <summary>Aliases, history, statuses and evaluations beside the catalog, in portable SQL.</summary>
public sealed class SqlAliasRegistry(SqlCatalog catalog) : IAliasRegistry
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int?> GetAliasAsync(string skill, string alias, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT version FROM aliases WHERE skill = @skill AND alias = @alias", new { skill, alias }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyDictionary<string, int>> GetAliasesAsync(string skill, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Alias, long Version)>(new CommandDefinition(
            "SELECT alias, version FROM aliases WHERE skill = @skill ORDER BY alias", new { skill }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Alias, r => (int)r.Version);
    }

    public async Task<AliasMove> MoveAliasAsync(string skill, string alias, int toVersion, string who, string why, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await catalog.Database.LockAsync(connection, tx, $"alias:{skill}:{alias}", cancellationToken);
        var from = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT version FROM aliases WHERE skill = @skill AND alias = @alias", new { skill, alias }, tx, cancellationToken: cancellationToken));
        var iso = SqlCatalog.Iso(at);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO aliases (skill, alias, version, moved_at) VALUES (@skill, @alias, @toVersion, @iso)
            ON CONFLICT (skill, alias) DO UPDATE SET version = excluded.version, moved_at = excluded.moved_at
            """, new { skill, alias, toVersion, iso }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO alias_history (skill, alias, from_version, to_version, who, at, why) VALUES (@skill, @alias, @from, @toVersion, @who, @iso, @why)",
            new { skill, alias, from, toVersion, who, iso, why }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new AliasMove(skill, alias, from, toVersion, who, at, why);
    }

    public async Task<IReadOnlyList<AliasMove>> GetHistoryAsync(string? skill, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Skill, string Alias, long? From, long To, string Who, string At, string Why)>(new CommandDefinition(
            "SELECT skill, alias, from_version, to_version, who, at, why FROM alias_history WHERE @skill IS NULL OR skill = @skill ORDER BY seq",
            new { skill }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AliasMove(r.Skill, r.Alias, (int?)r.From, (int)r.To, r.Who, DateTimeOffset.Parse(r.At, CultureInfo.InvariantCulture), r.Why))];
    }

    public async Task SetStatusAsync(VersionStatus status, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO version_status (skill, version, status, note, who, at) VALUES (@Skill, @Version, @Status, @Note, @Who, @at)",
            new { status.Skill, status.Version, status.Status, status.Note, status.Who, at = SqlCatalog.Iso(status.At) }, cancellationToken: cancellationToken));
    }

    public async Task<VersionStatus?> GetStatusAsync(string skill, int version, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Status, string Note, string Who, string At)?>(new CommandDefinition(
            "SELECT status, note, who, at FROM version_status WHERE skill = @skill AND version = @version ORDER BY seq DESC LIMIT 1",
            new { skill, version }, cancellationToken: cancellationToken));
        return row is { } r ? new VersionStatus(skill, version, r.Status, r.Note, r.Who, DateTimeOffset.Parse(r.At, CultureInfo.InvariantCulture)) : null;
    }

    public async Task SaveEvaluationAsync(EvaluationSummary summary, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO evaluations (skill, version, manifest_id, machine, evaluated_at, body) VALUES (@Skill, @Version, @ManifestId, @Machine, @at, @body) ON CONFLICT DO NOTHING",
            new { summary.Skill, summary.Version, summary.ManifestId, summary.Machine, at = SqlCatalog.Iso(summary.EvaluatedAt), body = JsonSerializer.Serialize(summary, Json) },
            cancellationToken: cancellationToken));
    }

    public async Task<EvaluationSummary?> GetEvaluationAsync(string skill, int version, string manifestId, string? machine, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var body = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT body FROM evaluations WHERE skill = @skill AND version = @version AND manifest_id = @manifestId AND (@machine IS NULL OR machine = @machine) ORDER BY seq DESC LIMIT 1",
            new { skill, version, manifestId, machine }, cancellationToken: cancellationToken));
        return body is null ? null : JsonSerializer.Deserialize<EvaluationSummary>(body, Json);
    }
}
