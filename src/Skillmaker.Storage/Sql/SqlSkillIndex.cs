using System.Text.Json;
using Dapper;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Storage;

/// <summary>The skill index in the catalog's database (SQLite or PostgreSQL).</summary>
public sealed class SqlSkillIndex(SqlCatalog catalog) : ISkillIndex
{
    private const string Columns = "skill, version, owner, reserved_at, published_at, files";

    public async Task<SkillVersionRecord> ReserveAsync(string skill, string owner, int atLeast, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        // Trainers of one skill on different machines take numbers one after the other.
        await catalog.Database.LockAsync(connection, tx, $"skill-versions:{skill}", cancellationToken);
        var held = await connection.QuerySingleOrDefaultAsync<Row?>(new CommandDefinition(
            $"SELECT {Columns} FROM skill_versions WHERE owner = @owner", new { owner }, tx, cancellationToken: cancellationToken));
        if (held is { } h)
        {
            if (h.skill != skill)
                throw new SkillmakerException($"Skill index: {owner} already holds {h.skill}@{h.version}, not a version of {skill}.");
            return h.ToRecord();
        }
        var max = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(version) FROM skill_versions WHERE skill = @skill", new { skill }, tx, cancellationToken: cancellationToken)) ?? 0;
        var version = (int)Math.Max(max + 1, atLeast);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO skill_versions (skill, version, owner, reserved_at) VALUES (@skill, @version, @owner, @at)",
            new { skill, version = (long)version, owner, at = SqlCatalog.Iso(at) }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new SkillVersionRecord { Skill = skill, Version = version, Owner = owner, ReservedAt = at };
    }

    public async Task PublishAsync(string skill, int version, string owner, IReadOnlyDictionary<string, string> files, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new SortedDictionary<string, string>(files.ToDictionary(), StringComparer.Ordinal));
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE skill_versions SET files = @json, published_at = @at WHERE skill = @skill AND version = @version AND owner = @owner AND published_at IS NULL",
            new { json, at = SqlCatalog.Iso(at), skill, version = (long)version, owner }, cancellationToken: cancellationToken));
        if (updated == 1) return;
        var row = await GetAsync(skill, version, cancellationToken);
        if (row is null || row.Owner != owner)
            throw new SkillmakerException($"Skill index: {skill}@{version} is not reserved by {owner}{(row is null ? "" : $" but by {row.Owner}")}; it cannot be published by it.");
        if (!row.Files.OrderBy(f => f.Key, StringComparer.Ordinal).SequenceEqual(files.OrderBy(f => f.Key, StringComparer.Ordinal)))
            throw new SkillmakerException($"Skill index: {skill}@{version} was already published with other files; a published version never changes.");
    }

    public async Task<IReadOnlyList<SkillVersionRecord>> ListPublishedAsync(string? skill, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM skill_versions WHERE published_at IS NOT NULL AND (@skill IS NULL OR skill = @skill) ORDER BY skill, version",
            new { skill }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<SkillVersionRecord?> GetAsync(string skill, int version, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row?>(new CommandDefinition(
            $"SELECT {Columns} FROM skill_versions WHERE skill = @skill AND version = @version", new { skill, version = (long)version }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<SkillVersionRecord?> GetByOwnerAsync(string owner, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row?>(new CommandDefinition(
            $"SELECT {Columns} FROM skill_versions WHERE owner = @owner", new { owner }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<bool> ReleaseAsync(string skill, int version, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM skill_versions WHERE skill = @skill AND version = @version AND owner = @owner AND published_at IS NULL",
            new { skill, version = (long)version, owner }, cancellationToken: cancellationToken)) == 1;
    }

    private sealed record Row(string skill, long version, string owner, string reserved_at, string? published_at, string? files)
    {
        public SkillVersionRecord ToRecord() => new()
        {
            Skill = skill,
            Version = (int)version,
            Owner = owner,
            ReservedAt = DateTimeOffset.Parse(reserved_at, System.Globalization.CultureInfo.InvariantCulture),
            PublishedAt = published_at is null ? null : DateTimeOffset.Parse(published_at, System.Globalization.CultureInfo.InvariantCulture),
            Files = files is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(files) ?? [],
        };
    }
}
