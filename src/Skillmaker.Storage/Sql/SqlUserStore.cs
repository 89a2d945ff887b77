using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using Skillmaker.Common;
using Skillmaker.Users;

namespace Skillmaker.Storage;

/// <summary>Users and server secrets beside the catalog, in portable SQL (SQLite or PostgreSQL).</summary>
public sealed class SqlUserStore(SqlCatalog catalog) : IUserStore
{
    private const string Columns = "id, name, role, created_at, token_expires_at, revoked_at";

    public async Task<User> AddAsync(string name, UserRole role, string tokenHash, DateTimeOffset? tokenExpiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO users (name, role, token_sha256, token_expires_at, created_at) VALUES (@name, @role, @tokenHash, @expires, @at) RETURNING id",
                new { name, role = role.ToWire(), tokenHash, expires = tokenExpiresAt is { } e ? SqlCatalog.Iso(e) : null, at = SqlCatalog.Iso(now) }, cancellationToken: cancellationToken));
            return new User(id, name, role, now) { TokenExpiresAt = tokenExpiresAt };
        }
        catch (Exception ex) when (catalog.Database.IsUniqueViolation(ex))
        {
            throw new SkillmakerException($"User '{name}' already exists; nothing was changed.", ex);
        }
    }

    public Task<User?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        FindAsync("token_sha256 = @value", new { value = tokenHash }, cancellationToken);

    public Task<User?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        FindAsync("name = @value", new { value = name }, cancellationToken);

    public Task<User?> FindByIdAsync(long id, CancellationToken cancellationToken) =>
        FindAsync("id = @value", new { value = id }, cancellationToken);

    public async Task<bool> RevokeAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var n = await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET revoked_at = COALESCE(revoked_at, @at) WHERE name = @name",
            new { name, at = SqlCatalog.Iso(now) }, cancellationToken: cancellationToken));
        return n > 0;
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Name, string Role, string CreatedAt, string? Expires, string? Revoked)>(new CommandDefinition(
            $"SELECT {Columns} FROM users ORDER BY name", cancellationToken: cancellationToken));
        return [.. rows.Select(ToUser)];
    }

    public async Task<byte[]> GetOrCreateSecretAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO server_secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
            new { name, value = RandomNumberGenerator.GetBytes(32) }, tx, cancellationToken: cancellationToken));
        var value = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition("SELECT value FROM server_secrets WHERE name = @name",
            new { name }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return value!;
    }

    private async Task<User?> FindAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Id, string Name, string Role, string CreatedAt, string? Expires, string? Revoked)?>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE {where}", parameters, cancellationToken: cancellationToken));
        return row is { } r ? ToUser(r) : null;
    }

    private static User ToUser((long Id, string Name, string Role, string CreatedAt, string? Expires, string? Revoked) r) =>
        new(r.Id, r.Name, UserRoles.Parse(r.Role), Parse(r.CreatedAt)) { TokenExpiresAt = r.Expires is null ? null : Parse(r.Expires), RevokedAt = r.Revoked is null ? null : Parse(r.Revoked) };

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
