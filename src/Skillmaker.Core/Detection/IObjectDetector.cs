namespace Skillmaker.Detection;

/// <summary>An object detector bound to one loaded model. Implementations are thread-safe and meant to
/// live for the whole process (loading a model is expensive).</summary>
public interface IObjectDetector : IDisposable
{
    DetectorModel Model { get; }

    /// <summary>Decodes the image (EXIF orientation applied, alpha dropped) and detects objects of every
    /// class. Throws <see cref="ImageDecodeException"/> when the bytes are not a decodable image.</summary>
    IDetectionFrame Detect(ReadOnlySpan<byte> imageBytes, DetectionThresholds thresholds);
}

/// <summary>A decoded image with its detections; holds the pixels so that crops and previews can be cut
/// without decoding again. Dispose it promptly: it owns a full-size bitmap.</summary>
public interface IDetectionFrame : IDisposable
{
    /// <summary>Width of the oriented image.</summary>
    int Width { get; }
    int Height { get; }
    /// <summary>All classes, after class-aware NMS, best score first.</summary>
    IReadOnlyList<DetectedObject> Detections { get; }

    EncodedCrop Crop(PixelRect rect);

    /// <summary>The image with boxes drawn (kept ones bold, the rest thin), encoded as JPEG.</summary>
    byte[] RenderPreview(IReadOnlyList<(DetectedObject Detection, bool Kept)> boxes);
}

/// <summary>The bytes could not be decoded as an image.</summary>
public class ImageDecodeException(string message) : Common.SkillmakerException(message);

/// <summary>The image is decodable but has more pixels than allowed (a decompression bomb, or simply too big).</summary>
public sealed class ImageTooLargeException(string message) : ImageDecodeException(message);
