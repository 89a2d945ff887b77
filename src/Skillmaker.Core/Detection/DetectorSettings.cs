using Skillmaker.Common;

namespace Skillmaker.Detection;

/// <summary>The <c>detector</c> section of the workspace config: which model finds vehicles and what
/// counts as one. Every value can be overridden per run on the command line.</summary>
public sealed record DetectorSettings
{
    public static readonly IReadOnlyList<string> DefaultClasses = ["car", "truck", "bus", "motorcycle"];

    /// <summary>The YOLO ONNX model: absolute, or relative to <c>.skillmaker/</c>. Default null, which
    /// means <c>$SKILLMAKER_ASSETS/detector/yolov8n_int8.onnx</c>.</summary>
    public string? Model { get; init; }

    /// <summary>Class names, one per line, used only when the model carries no <c>names</c> metadata.
    /// Default null: <c>MODEL.txt</c>, <c>labels.txt</c> or <c>coco80.txt</c> beside the model.</summary>
    public string? Labels { get; init; }

    /// <summary>Classes that are vehicles worth a crop. Default car, truck, bus, motorcycle (pickups
    /// often come out of COCO models as truck, so keep it).</summary>
    public IReadOnlyList<string> Classes { get; init; } = DefaultClasses;

    /// <summary>Lowest class score a detection needs. Default 0.25.</summary>
    public float MinScore { get; init; } = 0.25f;

    /// <summary>IoU above which a box of the same class is suppressed by a better one. Default 0.45.</summary>
    public float Iou { get; init; } = 0.45f;

    /// <summary>IoU above which two boxes of different vehicle classes are taken as one vehicle (a car
    /// also seen as a truck): only the better one is cropped. Default 0.7; 1 turns this off.</summary>
    public float VehicleMergeIou { get; init; } = 0.7f;

    /// <summary>Each crop is the box grown by this fraction of its width and height on every side.
    /// Default 0.05.</summary>
    public float Padding { get; init; } = 0.05f;

    /// <summary>Vehicles whose box is narrower or lower than this many pixels are recorded but not
    /// cropped (too small for anyone to label). Default 32.</summary>
    public int MinCropSide { get; init; } = 32;

    /// <summary>ONNX Runtime threads for one image. Default 0 = ONNX Runtime's choice (one per core).</summary>
    public int Threads { get; init; }

    /// <summary>How the subject of a photo is chosen among its crops: the photo's labels go to the subject
    /// only (see <see cref="SubjectSettings"/>).</summary>
    public SubjectSettings Subject { get; init; } = new();

    /// <summary>Throws an <see cref="InvalidSettingException"/> naming every bad value and what was expected;
    /// <paramref name="where"/> null means the values came with the request (see <see cref="InvalidSettingException.Where"/>).</summary>
    public DetectorSettings Validated(string? where)
    {
        var errors = new List<SettingError>();
        if (Classes.Count == 0 || Classes.Any(string.IsNullOrWhiteSpace)) errors.Add(new("classes", "must name at least one class, e.g. car,truck,bus,motorcycle"));
        if (!(MinScore is > 0 and <= 1)) errors.Add(new("minScore", $"is {MinScore}; expected a score in (0, 1]"));
        if (!(Iou is > 0 and <= 1)) errors.Add(new("iou", $"is {Iou}; expected (0, 1]"));
        if (!(VehicleMergeIou is > 0 and <= 1)) errors.Add(new("vehicleMergeIou", $"is {VehicleMergeIou}; expected (0, 1]"));
        if (!(Padding is >= 0 and <= 1)) errors.Add(new("padding", $"is {Padding}; expected 0..1 (a fraction of the box size)"));
        if (MinCropSide is < 1 or > 4096) errors.Add(new("minCropSide", $"is {MinCropSide}; expected 1..4096 pixels"));
        if (Threads is < 0 or > 256) errors.Add(new("threads", $"is {Threads}; expected 0 (automatic) or 1..256"));
        errors.AddRange((Subject ?? new()).Validate("subject."));
        if (errors.Count > 0) throw new InvalidSettingException(where, errors);
        return this;
    }

    public DetectionThresholds Thresholds => new(MinScore, Iou);
}
