using System.Runtime.InteropServices;

namespace Skillmaker.Common;

/// <summary>Who may read what the programs write: by default only the user running them (folders 0700,
/// files 0600: the catalog, photos, models, secrets), set once per process through the umask. The
/// environment variable <see cref="Variable"/> = <c>group</c> lets the group read (0750/0640), for a
/// team sharing a workspace; <c>inherit</c> keeps the umask the process was started with.</summary>
public static class FilePrivacy
{
    public const string Variable = "SKILLMAKER_FILE_ACCESS";

    /// <summary>Sets the process umask from <paramref name="environment"/>; returns the mode applied (e.g.
    /// "private"), or throws naming the accepted values.</summary>
    public static string Apply(Func<string, string?> environment)
    {
        var mode = environment(Variable)?.Trim().ToLowerInvariant() is { Length: > 0 } m ? m : "private";
        var mask = mode switch
        {
            "private" => 0b000_111_111, // 077
            "group" => 0b000_010_111, // 027
            "inherit" => -1,
            _ => throw new SkillmakerException($"{Variable} is '{mode}'; expected private (default: files 0600, folders 0700), group (0640/0750) or inherit."),
        };
        if (mask >= 0 && !OperatingSystem.IsWindows()) _ = NativeUmask((uint)mask); // returns the previous mask
        return mode;
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint NativeUmask(uint mask);
}
