namespace Skillmaker.Tests.Support;

/// <summary>Files of this repository (schemas, examples, docs) that tests check.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string File(string relative) => Path.Combine(Root, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Skillmaker.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Skillmaker.slnx above {AppContext.BaseDirectory}.");
    }
}
