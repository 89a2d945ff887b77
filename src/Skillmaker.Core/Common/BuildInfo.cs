using System.Reflection;

namespace Skillmaker.Common;

/// <summary>What code is running: the git commit the build was made from (Directory.Build.targets
/// embeds it at build time), or "unknown" for a build made outside a git checkout.</summary>
public static class BuildInfo
{
    public const string Unknown = "unknown";

    public static string CodeVersion { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "CodeVersion")?.Value is { Length: > 0 } v
            ? v
            : Unknown;
}
