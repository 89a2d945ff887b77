using System.Collections.Concurrent;

namespace Skillmaker.Serving;

/// <summary>Remembers accepted keys for a short time so that a busy client does not cost a database
/// lookup per request; a revoked key stops working within <see cref="Lifetime"/>.</summary>
public sealed class ApiKeyCache(ApiKeyService keys, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accepted = new(StringComparer.Ordinal);

    public async Task<bool> IsValidAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_accepted.TryGetValue(key, out var until) && until > now) return true;
        if (await keys.AuthenticateAsync(key, cancellationToken) is null)
        {
            _accepted.TryRemove(key, out _);
            return false;
        }
        if (_accepted.Count > 10_000) _accepted.Clear();
        _accepted[key] = now + Lifetime;
        return true;
    }
}
