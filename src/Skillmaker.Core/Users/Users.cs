using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Skillmaker.Common;

namespace Skillmaker.Users;

/// <summary>Crowd workers answer tasks; experts also review; admins also manage.</summary>
public enum UserRole { Crowd, Expert, Admin }

public sealed record User(long Id, string Name, UserRole Role, DateTimeOffset CreatedAt);

/// <summary>Users and the workspace's server secrets. Tokens are stored only as SHA-256 hashes.</summary>
public interface IUserStore
{
    /// <summary>Adds a user; throws when the name is taken.</summary>
    Task<User> AddAsync(string name, UserRole role, string tokenHash, DateTimeOffset now, CancellationToken cancellationToken);
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

/// <summary>Creates users with a login token, and signs them in by token.</summary>
public sealed partial class UserService(IUserStore store, TimeProvider time)
{
    public const string TokenPrefix = "smk_";

    public async Task<(User User, string Token)> AddAsync(string name, UserRole role, CancellationToken cancellationToken)
    {
        if (!NamePattern().IsMatch(name))
            throw new SkillmakerException($"User name '{name}' is not valid; expected 1-64 letters, digits, '.', '_', '-' or '@'.");
        if (await store.FindByNameAsync(name, cancellationToken).ConfigureAwait(false) is not null)
            throw new SkillmakerException($"User '{name}' already exists; nothing was changed.");
        var token = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var user = await store.AddAsync(name, role, HashToken(token), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return (user, token);
    }

    /// <summary>The user a token belongs to, or null for an unknown token.</summary>
    public async Task<User?> AuthenticateAsync(string? token, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(token) || !token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 200 ? null
            : await store.FindByTokenHashAsync(HashToken(token.Trim()), cancellationToken).ConfigureAwait(false);

    public static string HashToken(string token) => Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(token));

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex NamePattern();
}
