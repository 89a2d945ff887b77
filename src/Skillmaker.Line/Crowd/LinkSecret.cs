using System.Security.Cryptography;
using Skillmaker.Common;

namespace Skillmaker.Crowd;

/// <summary>The key that signs image links, kept out of the catalog (which more people and backups see):
/// from the environment variable <see cref="Variable"/> (base64, at least 32 bytes; what several servers
/// or workers of one workspace share), else the file <c>.skillmaker/secrets/image-links.key</c>, created
/// with 32 random bytes, mode 0600 in a 0700 folder.</summary>
public static class LinkSecret
{
    public const string Variable = "SKILLMAKER_LINK_SECRET";

    /// <summary>Longest validity a link may claim, from <c>SKILLMAKER_LINK_MAX_HOURS</c>; default 720 (30 days).</summary>
    public const string MaxHoursVariable = "SKILLMAKER_LINK_MAX_HOURS";

    public static async Task<byte[]> LoadAsync(string stateDirectory, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        if (environment(Variable) is { Length: > 0 } given)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(given.Trim());
            }
            catch (FormatException)
            {
                throw new SkillmakerException($"{Variable} is not base64; expected at least 32 random bytes in base64, e.g. from `openssl rand -base64 32`.");
            }
            return bytes.Length >= 32 ? bytes : throw new SkillmakerException($"{Variable} holds {bytes.Length} bytes; expected at least 32 (e.g. `openssl rand -base64 32`).");
        }
        var folder = Path.Combine(stateDirectory, "secrets");
        var path = Path.Combine(folder, "image-links.key");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(folder);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var temp = AtomicFile.TempSibling(path);
            await File.WriteAllBytesAsync(temp, RandomNumberGenerator.GetBytes(32), cancellationToken);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // Two processes starting at once: the first file wins and both use it.
            AtomicFile.MoveIntoPlaceIfAbsent(temp, path);
        }
        var secret = await File.ReadAllBytesAsync(path, cancellationToken);
        return secret.Length >= 32 ? secret : throw new SkillmakerException($"{path} holds {secret.Length} bytes; expected 32 random bytes (delete it to make a new one; links already sent stop working).");
    }

    public static TimeSpan MaxLifetime(Func<string, string?> environment)
    {
        var raw = environment(MaxHoursVariable);
        if (string.IsNullOrWhiteSpace(raw)) return TimeSpan.FromDays(30);
        return double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours is > 0 and <= 24 * 365
            ? TimeSpan.FromHours(hours)
            : throw new SkillmakerException($"{MaxHoursVariable} is '{raw}'; expected hours, more than 0 and at most 8760.");
    }
}
