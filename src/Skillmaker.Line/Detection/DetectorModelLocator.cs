using Skillmaker.Common;
using Skillmaker.Workspaces;

namespace Skillmaker.Detection;

/// <summary>Which detector model a workspace uses when no path is given on the command line: the
/// config's <c>detector.model</c>, else the YOLO model in the shared assets.</summary>
public static class DetectorModelLocator
{
    public const string DefaultModelInAssets = "detector/yolov8n_int8.onnx";

    /// <summary>The model path, or an error naming every place looked at.</summary>
    public static string Resolve(Workspace? workspace, Func<string, string?> environment, params string[] assetSearchStart)
    {
        if (workspace?.Config.Detector.Model is { } configured) return workspace.ResolveStatePath(configured);
        var (found, looked) = AssetLocator.Locate(environment, assetSearchStart);
        if (found is not null) return Path.Combine(found, DefaultModelInAssets);
        var where = workspace is null ? "" : $", set detector.model in {workspace.ConfigPath}";
        throw new SkillmakerException($"No detector model: pass --model PATH{where}, or set ${AssetLocator.EnvironmentVariable} to the shared assets (looked in: {(looked.Count == 0 ? "no repository above the current folder" : string.Join("; ", looked))}).");
    }
}
