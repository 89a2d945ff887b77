using Skillmaker.Common;

namespace Skillmaker.Cli.Infrastructure;

/// <summary>The command line itself is wrong (exit code 2), as opposed to the work failing (exit code 1).</summary>
public sealed class UsageException(string message) : SkillmakerException(message);

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
