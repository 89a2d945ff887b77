using Skillmaker.Common;
using Skillmaker.Users;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Skillmaker.Crowd;

/// <summary>Creates users with a login token, and signs them in by token.</summary>
public sealed partial class UserService(IUserStore store, TimeProvider time)
{
    public const string TokenPrefix = "smk_";

    public async Task<(User User, string Token)> AddAsync(string name, UserRole role, CancellationToken cancellationToken, TimeSpan? tokenLifetime = null)
    {
        if (tokenLifetime is { } l && l <= TimeSpan.Zero) throw new SkillmakerException($"Token lifetime must be positive; got {l}.");
        if (!NamePattern().IsMatch(name))
            throw new SkillmakerException($"User name '{name}' is not valid; expected 1-64 letters, digits, '.', '_', '-' or '@'.");
        if (await store.FindByNameAsync(name, cancellationToken) is not null)
            throw new SkillmakerException($"User '{name}' already exists; nothing was changed.");
        var token = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        var user = await store.AddAsync(name, role, HashToken(token), tokenLifetime is { } life ? now + life : null, now, cancellationToken);
        return (user, token);
    }

    /// <summary>Checks a login token: unknown, expired, revoked, or the user it belongs to.</summary>
    public async Task<(SignInOutcome Outcome, User? User)> SignInAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token) || !token.Trim().StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 200) return (SignInOutcome.Unknown, null);
        var user = await store.FindByTokenHashAsync(HashToken(token.Trim()), cancellationToken);
        return user switch
        {
            null => (SignInOutcome.Unknown, null),
            { RevokedAt: not null } => (SignInOutcome.Revoked, user),
            { TokenExpiresAt: { } e } when e <= time.GetUtcNow() => (SignInOutcome.Expired, user),
            _ => (SignInOutcome.SignedIn, user),
        };
    }

    /// <summary>True while a signed-in session of the user may go on (not revoked meanwhile).</summary>
    public async Task<bool> SessionStillValidAsync(long userId, CancellationToken cancellationToken) =>
        await store.FindByIdAsync(userId, cancellationToken) is { RevokedAt: null };

    public async Task RevokeAsync(string name, CancellationToken cancellationToken)
    {
        if (!await store.RevokeAsync(name, time.GetUtcNow(), cancellationToken))
            throw new SkillmakerException($"There is no user '{name}'; see `skillmaker users list`.");
    }

    public static string HashToken(string token) => Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(token));

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex NamePattern();
}
