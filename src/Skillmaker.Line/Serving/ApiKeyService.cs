using Skillmaker.Common;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Skillmaker.Serving;


public sealed partial class ApiKeyService(IApiKeyStore store, TimeProvider time)
{
    public const string KeyPrefix = "smk_api_";

    public async Task<(ApiClient Client, string Key)> AddAsync(string name, CancellationToken cancellationToken)
    {
        if (!NamePattern().IsMatch(name)) throw new SkillmakerException($"API client name '{name}' is not valid; expected 1-64 letters, digits, '.', '_', '-' or '@'.");
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        if (!await store.AddAsync(name, Hash(key), now, cancellationToken))
            throw new SkillmakerException($"API client '{name}' already exists; revoke it or pick another name. Nothing was changed.");
        return (new ApiClient(name, now, null), key);
    }

    /// <summary>The active client owning <paramref name="key"/>, or null (unknown or revoked).</summary>
    public async Task<ApiClient?> AuthenticateAsync(string? key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200 || !key.StartsWith(KeyPrefix, StringComparison.Ordinal)) return null;
        var client = await store.FindByKeyHashAsync(Hash(key.Trim()), cancellationToken);
        return client is { RevokedAt: null } ? client : null;
    }

    public async Task RevokeAsync(string name, CancellationToken cancellationToken)
    {
        if (!await store.RevokeAsync(name, time.GetUtcNow(), cancellationToken))
            throw new SkillmakerException($"There is no active API client '{name}'; see `skillmaker api-keys list`.");
    }

    public Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public static string Hash(string key) => Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(key));

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex NamePattern();
}
