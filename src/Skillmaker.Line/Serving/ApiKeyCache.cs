using System.Collections.Concurrent;

namespace Skillmaker.Serving;

/// <summary>Checks API keys against the catalog. With a <paramref name="lifetime"/> above zero
/// (<see cref="ServingConfig.ApiKeyCacheSeconds"/>) an accepted key is remembered that long, so a busy
/// client does not cost a lookup per request and a revoked key works at most that long; with zero (the
/// default) every request is checked and a revocation takes effect at once.</summary>
public sealed class ApiKeyCache(ApiKeyService keys, TimeProvider time, TimeSpan lifetime)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accepted = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    public async Task<bool> IsValidAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (lifetime > TimeSpan.Zero && _accepted.TryGetValue(key, out var until) && until > now) return true;
        if (await keys.AuthenticateAsync(key, cancellationToken) is null)
        {
            _accepted.TryRemove(key, out _);
            return false;
        }
        if (lifetime <= TimeSpan.Zero) return true;
        if (_accepted.Count > 10_000) _accepted.Clear();
        _accepted[key] = now + lifetime;
        return true;
    }
}
