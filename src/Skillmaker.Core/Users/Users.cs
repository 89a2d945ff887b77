using Skillmaker.Common;

namespace Skillmaker.Users;

/// <summary>Crowd workers answer tasks; experts also review; admins also manage.</summary>
public enum UserRole { Crowd, Expert, Admin }

public sealed record User(long Id, string Name, UserRole Role, DateTimeOffset CreatedAt)
{
    /// <summary>After this the login token no longer signs in; null = no expiry.</summary>
    public DateTimeOffset? TokenExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

public enum SignInOutcome { SignedIn, Unknown, Expired, Revoked }

/// <summary>Users and the workspace's server secrets. Tokens are stored only as SHA-256 hashes.</summary>
public interface IUserStore
{
    /// <summary>Adds a user; throws when the name is taken.</summary>
    Task<User> AddAsync(string name, UserRole role, string tokenHash, DateTimeOffset? tokenExpiresAt, DateTimeOffset now, CancellationToken cancellationToken);
    Task<User?> FindByIdAsync(long id, CancellationToken cancellationToken);
    /// <summary>Revokes the user's token and sessions; false when there is no such user.</summary>
    Task<bool> RevokeAsync(string name, DateTimeOffset now, CancellationToken cancellationToken);
    Task<User?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);
    Task<User?> FindByNameAsync(string name, CancellationToken cancellationToken);
    Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken);
    /// <summary>A random secret of the workspace, created on first use and then stable.</summary>
    Task<byte[]> GetOrCreateSecretAsync(string name, CancellationToken cancellationToken);
}

public static partial class UserRoles
{
    public static string ToWire(this UserRole role) => role.ToString().ToLowerInvariant();

    public static UserRole Parse(string value) =>
        Enum.TryParse<UserRole>(value, ignoreCase: true, out var r) && Enum.IsDefined(r) ? r
            : throw new SkillmakerException($"Unknown role '{value}'; expected crowd, expert or admin.");

    public static bool CanReview(this UserRole role) => role is UserRole.Expert or UserRole.Admin;
}
