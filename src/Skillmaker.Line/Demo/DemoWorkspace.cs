using Skillmaker.Common;
using Skillmaker.Workspaces;

namespace Skillmaker.Demo;

/// <summary>The demo's workspace: always fresh, written only into a new or empty folder or over a
/// workspace an earlier demo made (it carries a marker file). Anything else is refused untouched.</summary>
public static class DemoWorkspace
{
    /// <summary>Marker file inside <c>.skillmaker/</c> of a workspace the demo created.</summary>
    public const string MarkerFile = "demo-workspace";

    /// <summary>The demo's workspace seed: splits and everything random are the same on every run.</summary>
    public const long Seed = 20261123;

    public const string DefaultFolder = "demo-workspace";

    public static bool IsDemoWorkspace(string root) => File.Exists(Path.Combine(root, Workspace.DirectoryName, MarkerFile));

    /// <summary>Creates the workspace and says what was done to the folder.</summary>
    public static async Task<(Workspace Workspace, string Action)> CreateFreshAsync(string root, TimeProvider time, CancellationToken cancellationToken)
    {
        root = Path.GetFullPath(root);
        if (File.Exists(root))
            throw new SkillmakerException($"{root} is a file; the demo needs a new or empty folder for its workspace. Choose another folder for the demo's workspace.");
        string action;
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root);
            action = $"created the new folder {root}";
        }
        else if (!Directory.EnumerateFileSystemEntries(root).Any())
            action = $"used the empty folder {root}";
        else if (IsDemoWorkspace(root))
        {
            var entries = Directory.EnumerateFileSystemEntries(root).ToList();
            foreach (var entry in entries)
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            action = $"replaced the previous demo workspace in {root} (deleted its {entries.Count} top-level entries)";
        }
        else if (File.Exists(Path.Combine(root, Workspace.DirectoryName, Workspace.ConfigFileName)))
            throw new SkillmakerException($"{root} holds a Skillmaker workspace that the demo did not create (no {Workspace.DirectoryName}/{MarkerFile}); nothing was changed. Choose a new or empty folder for the demo's workspace.");
        else
            throw new SkillmakerException($"{root} is not empty and the demo did not create it; nothing was changed. The demo writes only into a new or empty folder or over its own earlier workspace; choose another folder for the demo's workspace.");

        var workspace = await Workspace.InitAsync(root, Seed, cancellationToken);
        await AtomicFile.WriteAllTextAsync(Path.Combine(workspace.StateDirectory, MarkerFile),
            $"Created by `skillmaker demo` at {time.GetUtcNow():u}. The next `skillmaker demo` into {root} deletes everything in this folder.\n", cancellationToken);
        return (workspace, action);
    }
}
