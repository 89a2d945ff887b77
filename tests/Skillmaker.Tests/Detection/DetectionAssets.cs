using Skillmaker.Detection;
using Skillmaker.Vision.Detection;

namespace Skillmaker.Tests.Detection;

/// <summary>The real detector, loaded once per test process, and model files derived from it.</summary>
internal static class DetectionAssets
{
    public static readonly DetectionThresholds Defaults = new DetectorSettings().Thresholds;

    public static YoloDetector Detector => YoloDetector.Shared(TestAssets.Detector, null, threads: 0);

    /// <summary>A copy of the real model with one extra metadata entry: the same network, another sha256.
    /// (Field 14 of ModelProto is metadata_props; protobuf lets a repeated field continue at the end.)</summary>
    public static string ModelWithOtherSha(string folder)
    {
        var path = Path.Combine(folder, "yolov8n_int8-copy.onnx");
        byte[] entry = [0x72, 0x06, 0x0A, 0x01, (byte)'x', 0x12, 0x01, (byte)'y'];
        File.WriteAllBytes(path, [.. File.ReadAllBytes(TestAssets.Detector), .. entry]);
        return path;
    }
}
