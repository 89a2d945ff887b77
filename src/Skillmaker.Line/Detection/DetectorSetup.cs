using Skillmaker.Common;
using Skillmaker.Vision.Detection;
using Skillmaker.Workspaces;

namespace Skillmaker.Detection;

/// <summary>Per-run changes to the workspace's detector section; null keeps the configured value.
/// Paths are absolute (the caller resolves them against its own folder).</summary>
public sealed record DetectorOverrides
{
    public static DetectorOverrides None { get; } = new();

    public string? Model { get; init; }
    public string? Labels { get; init; }
    public IReadOnlyList<string>? Classes { get; init; }
    public float? MinScore { get; init; }
    public float? Iou { get; init; }
    public float? Padding { get; init; }
    public int? Threads { get; init; }
}

/// <summary>Where a detector's model and class names file are on this machine.</summary>
public sealed record DetectorFiles(string Model, string? Labels);

/// <summary>The detector a run uses: the settings after overrides, and the loaded (shared) model.</summary>
public sealed record PreparedDetector(DetectorSettings Settings, YoloDetector Detector);

/// <summary>Which detector a run uses: the workspace's <c>detector</c> section (or the defaults without a
/// workspace), the run's overrides on top, validated, and the model found and loaded once per process.</summary>
public static class DetectorSetup
{
    /// <summary>Where the default model lives inside the shared assets.</summary>
    public const string DefaultModelInAssets = "detector/yolov8n_int8.onnx";

    /// <summary>Merges, validates and loads. Bad configured values name the config file; bad overrides are
    /// request errors (<see cref="InvalidSettingException.FromRequest"/>) named by field.</summary>
    public static PreparedDetector Prepare(Workspace? workspace, DetectorOverrides overrides, Func<string, string?> environment, params string[] assetSearchStart)
    {
        var configured = workspace?.Config.Detector ?? new DetectorSettings();
        var configuredWhere = workspace is null ? "detector defaults" : $"Workspace config {workspace.ConfigPath}, detector section";
        configured.Validated(configuredWhere);
        var settings = (configured with
        {
            Model = overrides.Model ?? (configured.Model is { } m && workspace is not null ? workspace.ResolveStatePath(m) : configured.Model),
            Labels = overrides.Labels ?? (configured.Labels is { } l && workspace is not null ? workspace.ResolveStatePath(l) : configured.Labels),
            Classes = overrides.Classes ?? configured.Classes,
            MinScore = overrides.MinScore ?? configured.MinScore,
            Iou = overrides.Iou ?? configured.Iou,
            Padding = overrides.Padding ?? configured.Padding,
            Threads = overrides.Threads ?? configured.Threads,
        }).Validated(null);
        var modelPath = settings.Model ?? LocateModel(workspace, environment, assetSearchStart);
        var detector = YoloDetector.Shared(modelPath, settings.Labels, settings.Threads);
        var unknown = VehicleSelection.UnknownClasses(settings.Classes, detector.Model.ClassNames);
        if (unknown.Count > 0)
            throw new InvalidSettingException(overrides.Classes is null ? configuredWhere : null, "classes",
                $"names {string.Join(", ", unknown)}, which {(unknown.Count == 1 ? "is not a class" : "are not classes")} of {detector.Model.Path}; it knows {string.Join(", ", detector.Model.ClassNames.Take(20))}{(detector.Model.ClassNames.Count > 20 ? ", ..." : "")}");
        return new PreparedDetector(settings with { Model = modelPath }, detector);
    }

    /// <summary>The model a workspace uses when the run names none: the config's <c>detector.model</c>,
    /// else the YOLO model in the shared assets; else an error naming every place looked at.</summary>
    public static string LocateModel(Workspace? workspace, Func<string, string?> environment, params string[] assetSearchStart)
    {
        if (workspace?.Config.Detector.Model is { } configured) return workspace.ResolveStatePath(configured);
        var (found, looked) = AssetLocator.Locate(environment, assetSearchStart);
        if (found is not null) return Path.Combine(found, DefaultModelInAssets);
        var where = workspace is null ? "" : $", set detector.model in {workspace.ConfigPath}";
        throw new InvalidSettingException(null, "model", $"is not given and none was found: give a YOLO ONNX model{where}, or set ${AssetLocator.EnvironmentVariable} to the shared assets (looked in: {(looked.Count == 0 ? "no repository above the current folder" : string.Join("; ", looked))})");
    }
}
