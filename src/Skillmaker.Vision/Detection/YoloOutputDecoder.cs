using Skillmaker.Detection;

namespace Skillmaker.Vision.Detection;

/// <summary>The two YOLO output layouts in use.</summary>
public enum YoloLayout
{
    /// <summary>Ultralytics YOLOv8 / YOLO11: <c>[1, 4+C, N]</c>, rows cx, cy, w, h then C class scores
    /// (already sigmoided), no objectness.</summary>
    V8,
    /// <summary>YOLOv5: <c>[1, N, 5+C]</c>, each row cx, cy, w, h, objectness, C class scores.</summary>
    V5,
}

/// <summary>Turns a YOLO output tensor into candidate boxes. Pure: no ONNX Runtime here.</summary>
public static class YoloOutputDecoder
{
    public const string ExpectedShapes = "[1, 4+C, N] (YOLOv8/YOLO11) or [1, N, 5+C] (YOLOv5)";

    /// <summary>Tells the layout from an output shape (unknown sizes as -1 or 0). With a known class
    /// count the shape must agree with it; otherwise the smaller known side is the channel side.
    /// Returns null and a reason when the shape is not a YOLO detector's.</summary>
    public static (YoloLayout Layout, int ClassCount)? Classify(IReadOnlyList<long> shape, int? classCount, out string? problem)
    {
        problem = null;
        if (shape.Count != 3) { problem = $"rank {shape.Count}, expected rank 3"; return null; }
        if (shape[0] > 1) { problem = $"batch {shape[0]}, expected 1"; return null; }
        long a = shape[1], b = shape[2];
        var aKnown = a > 0;
        var bKnown = b > 0;
        if (classCount is { } c)
        {
            if (a == 4 + c) return (YoloLayout.V8, c);
            if (b == 5 + c) return (YoloLayout.V5, c);
            problem = $"{c} class names need [1, {4 + c}, N] or [1, N, {5 + c}]";
            return null;
        }
        YoloLayout? layout = (aKnown, bKnown) switch
        {
            (true, false) => YoloLayout.V8,
            (false, true) => YoloLayout.V5,
            (true, true) => a < b ? YoloLayout.V8 : YoloLayout.V5,
            _ => null,
        };
        if (layout is null) { problem = "both sizes are dynamic, so the class count is unknown"; return null; }
        var classes = layout == YoloLayout.V8 ? a - 4 : b - 5;
        if (classes < 1) { problem = $"{(layout == YoloLayout.V8 ? a : b)} values per box leave no class scores"; return null; }
        return (layout.Value, (int)classes);
    }

    /// <summary>Candidates above <paramref name="minScore"/>, one per anchor (its best class), with
    /// boxes still in model-input pixels.</summary>
    public static List<DetectedObject> Decode(ReadOnlySpan<float> output, YoloLayout layout, int anchors, IReadOnlyList<string> classNames, float minScore)
    {
        var classes = classNames.Count;
        var expected = (long)anchors * (classes + (layout == YoloLayout.V8 ? 4 : 5));
        if (output.Length != expected)
            throw new ArgumentException($"Output holds {output.Length} values; {layout} with {anchors} anchors and {classes} classes needs {expected}.", nameof(output));
        var found = new List<DetectedObject>();
        if (layout == YoloLayout.V8)
        {
            // Channel-major: class c of anchor i is at (4 + c) * anchors + i. Scan class rows in order so
            // memory is read sequentially; keep the best class per anchor.
            var best = new float[anchors];
            var bestClass = new int[anchors];
            for (var c = 0; c < classes; c++)
            {
                var row = output.Slice((4 + c) * anchors, anchors);
                for (var i = 0; i < anchors; i++)
                    if (row[i] > best[i]) { best[i] = row[i]; bestClass[i] = c; }
            }
            for (var i = 0; i < anchors; i++)
            {
                if (best[i] < minScore) continue;
                var box = BoundingBox.FromCenter(output[i], output[anchors + i], output[2 * anchors + i], output[3 * anchors + i]);
                found.Add(new DetectedObject(bestClass[i], classNames[bestClass[i]], best[i], box));
            }
        }
        else
        {
            var stride = 5 + classes;
            for (var i = 0; i < anchors; i++)
            {
                var row = output.Slice(i * stride, stride);
                var objectness = row[4];
                if (objectness < minScore) continue;
                var bestClass = 0;
                for (var c = 1; c < classes; c++)
                    if (row[5 + c] > row[5 + bestClass]) bestClass = c;
                var score = objectness * row[5 + bestClass];
                if (score < minScore) continue;
                found.Add(new DetectedObject(bestClass, classNames[bestClass], score, BoundingBox.FromCenter(row[0], row[1], row[2], row[3])));
            }
        }
        return found;
    }
}
