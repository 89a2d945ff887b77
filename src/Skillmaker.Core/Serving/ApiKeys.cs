
namespace Skillmaker.Serving;

/// <summary>A client of the inference API. The key itself is shown once, at creation; only its
/// SHA-256 is stored.</summary>
public sealed record ApiClient(string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public interface IApiKeyStore
{
    /// <summary>Adds a client; false when the name is taken (nothing changes).</summary>
    Task<bool> AddAsync(string name, string keyHash, DateTimeOffset now, CancellationToken cancellationToken);
    /// <summary>The client owning the key, revoked or not; null when none.</summary>
    Task<ApiClient?> FindByKeyHashAsync(string keyHash, CancellationToken cancellationToken);
    Task<bool> RevokeAsync(string name, DateTimeOffset now, CancellationToken cancellationToken);
    Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken);
    /// <summary>Active clients with their key hashes, to carry the same keys into a deployed service.</summary>
    Task<IReadOnlyList<(ApiClient Client, string KeyHash)>> ListActiveWithHashesAsync(CancellationToken cancellationToken);
}
