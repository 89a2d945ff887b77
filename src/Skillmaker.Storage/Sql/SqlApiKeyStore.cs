using System.Globalization;
using Dapper;
using Skillmaker.Serving;

namespace Skillmaker.Storage;

/// <summary>API clients beside the catalog, in portable SQL (table from the <c>api_keys</c> module).</summary>
public sealed class SqlApiKeyStore(SqlCatalog catalog) : IApiKeyStore
{
    public async Task<bool> AddAsync(string name, string keyHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        // ON CONFLICT keeps a taken name from raising an engine-specific error.
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_clients (name, key_sha256, created_at) VALUES (@name, @keyHash, @at) ON CONFLICT DO NOTHING",
            new { name, keyHash, at = SqlCatalog.Iso(now) }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<ApiClient?> FindByKeyHashAsync(string keyHash, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Name, string CreatedAt, string? RevokedAt)?>(new CommandDefinition(
            "SELECT name, created_at, revoked_at FROM api_clients WHERE key_sha256 = @keyHash", new { keyHash }, cancellationToken: cancellationToken));
        return row is { } r ? ToClient(r) : null;
    }

    public async Task<bool> RevokeAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_clients SET revoked_at = @at WHERE name = @name AND revoked_at IS NULL",
            new { name, at = SqlCatalog.Iso(now) }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, string CreatedAt, string? RevokedAt)>(new CommandDefinition(
            "SELECT name, created_at, revoked_at FROM api_clients ORDER BY name", cancellationToken: cancellationToken));
        return [.. rows.Select(ToClient)];
    }

    public async Task<IReadOnlyList<(ApiClient Client, string KeyHash)>> ListActiveWithHashesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, string CreatedAt, string? RevokedAt, string KeyHash)>(new CommandDefinition(
            "SELECT name, created_at, revoked_at, key_sha256 FROM api_clients WHERE revoked_at IS NULL ORDER BY name", cancellationToken: cancellationToken));
        return [.. rows.Select(r => (ToClient((r.Name, r.CreatedAt, r.RevokedAt)), r.KeyHash))];
    }

    private static ApiClient ToClient((string Name, string CreatedAt, string? RevokedAt) r) => new(r.Name,
        DateTimeOffset.Parse(r.CreatedAt, CultureInfo.InvariantCulture), r.RevokedAt is null ? null : DateTimeOffset.Parse(r.RevokedAt, CultureInfo.InvariantCulture));
}
