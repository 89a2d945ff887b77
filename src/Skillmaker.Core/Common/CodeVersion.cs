using System.Reflection;

namespace Skillmaker.Common;

/// <summary>The git commit this build was made from. The .NET SDK writes it into the assembly's
/// informational version ("1.0.0+COMMIT") when it builds inside a git clone; outside one it is "unknown".</summary>
public static class CodeVersion
{
    public static string Current { get; } = FromInformationalVersion(
        typeof(CodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    public static string FromInformationalVersion(string? informationalVersion) =>
        informationalVersion?.IndexOf('+', StringComparison.Ordinal) is int plus and >= 0 && plus < informationalVersion.Length - 1
            ? informationalVersion[(plus + 1)..]
            : "unknown";
}
