namespace Skillmaker.Detection;

/// <summary>An axis-aligned box in pixels of the oriented image (x to the right, y down; x2 and y2
/// exclusive edges, so width = x2 - x1).</summary>
public readonly record struct BoundingBox(float X1, float Y1, float X2, float Y2)
{
    public float Width => Math.Max(0, X2 - X1);
    public float Height => Math.Max(0, Y2 - Y1);
    public float Area => Width * Height;

    public static BoundingBox FromCenter(float cx, float cy, float w, float h) => new(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);

    /// <summary>Intersection over union; 0 when either box is empty.</summary>
    public float IntersectionOverUnion(BoundingBox other)
    {
        var w = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        var h = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        if (w <= 0 || h <= 0) return 0;
        var intersection = w * h;
        var union = Area + other.Area - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    public BoundingBox ClipTo(int width, int height) =>
        new(Math.Clamp(X1, 0, width), Math.Clamp(Y1, 0, height), Math.Clamp(X2, 0, width), Math.Clamp(Y2, 0, height));
}

/// <summary>A whole-pixel rectangle: what a crop is cut from.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>The box grown by <paramref name="padding"/> of its width and height on every side,
    /// rounded outwards to whole pixels and clipped to the image.</summary>
    public static PixelRect Around(BoundingBox box, float padding, int imageWidth, int imageHeight)
    {
        var padX = box.Width * padding;
        var padY = box.Height * padding;
        var x1 = Math.Clamp((int)MathF.Floor(box.X1 - padX), 0, imageWidth);
        var y1 = Math.Clamp((int)MathF.Floor(box.Y1 - padY), 0, imageHeight);
        var x2 = Math.Clamp((int)MathF.Ceiling(box.X2 + padX), 0, imageWidth);
        var y2 = Math.Clamp((int)MathF.Ceiling(box.Y2 + padY), 0, imageHeight);
        return new PixelRect(x1, y1, x2 - x1, y2 - y1);
    }
}

/// <summary>One object the detector found, after NMS, in original (oriented) pixel coordinates.</summary>
public sealed record DetectedObject(int ClassId, string ClassName, float Score, BoundingBox Box);

/// <summary>What a detector model is: where it was loaded from, its identity and its interface.</summary>
public sealed record DetectorModel
{
    public required string Path { get; init; }
    /// <summary>SHA-256 of the model file: detections are recorded per model, so a new file processes again.</summary>
    public required string Sha256 { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    /// <summary>Where the class names came from: "onnx metadata" or a labels file path.</summary>
    public required string ClassNamesSource { get; init; }
    public required int InputWidth { get; init; }
    public required int InputHeight { get; init; }
    /// <summary>"yolov8" ([1, 4+C, N], also v11) or "yolov5" ([1, N, 5+C]).</summary>
    public required string OutputLayout { get; init; }
    public required int Threads { get; init; }
}

/// <summary>Thresholds applied when decoding a detector's raw output.</summary>
public sealed record DetectionThresholds(float MinScore, float Iou);

/// <summary>How many kept vehicles an image holds.</summary>
public enum DetectionOutcome { None, One, Several, Failed }

public static class DetectionOutcomes
{
    public static DetectionOutcome FromCount(int vehicles) => vehicles switch { 0 => DetectionOutcome.None, 1 => DetectionOutcome.One, _ => DetectionOutcome.Several };

    public static string ToWire(this DetectionOutcome outcome) => outcome.ToString().ToLowerInvariant();

    public static DetectionOutcome Parse(string value) => Enum.Parse<DetectionOutcome>(value, ignoreCase: true);
}

/// <summary>A crop cut from a decoded image and encoded, with the facts the catalog records.</summary>
public sealed record EncodedCrop
{
    public required byte[] Bytes { get; init; }
    /// <summary>Format name as the catalog writes it, e.g. "jpeg".</summary>
    public required string Format { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required ulong PerceptualHash { get; init; }
}
