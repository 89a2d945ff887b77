namespace Skillmaker.Common;

/// <summary>Finds the shared test and demo assets (models, photos): <c>$SKILLMAKER_ASSETS</c>, else
/// <c>../shared/assets</c> beside the repository that holds the running code or the current folder.</summary>
public static class AssetLocator
{
    public const string EnvironmentVariable = "SKILLMAKER_ASSETS";

    /// <summary>Returns the assets folder and every place looked at, so a caller can say where it looked.</summary>
    public static (string? Found, IReadOnlyList<string> Looked) Locate(Func<string, string?> environment, params string[] startFolders)
    {
        var looked = new List<string>();
        if (environment(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            var full = Path.GetFullPath(fromEnv);
            looked.Add($"{full} (${EnvironmentVariable})");
            return (Directory.Exists(full) ? full : null, looked);
        }
        foreach (var start in startFolders)
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Skillmaker.slnx"))) continue;
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "assets"));
                looked.Add(candidate);
                if (Directory.Exists(candidate)) return (candidate, looked);
                break;
            }
        return (null, looked);
    }
}
