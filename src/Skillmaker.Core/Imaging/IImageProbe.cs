namespace Skillmaker.Imaging;

/// <summary>Decodes an image just enough to vouch for it: format, oriented size, EXIF facts and a
/// perceptual hash. Implementations are thread-safe.</summary>
public interface IImageProbe
{
    ImageProbeResult Probe(ReadOnlySpan<byte> bytes, ImageProbeOptions options);
}

public sealed record ImageProbeOptions
{
    /// <summary>Largest accepted width × height, checked from the header before any pixels are
    /// decoded (decompression bombs). Default 64 megapixels.</summary>
    public long MaxPixels { get; init; } = 64_000_000;
}

/// <summary>Either a probed image or the reason it was refused.</summary>
public sealed record ImageProbeResult
{
    public ProbedImage? Image { get; init; }
    public RejectReason? Rejection { get; init; }

    public static ImageProbeResult Ok(ProbedImage image) => new() { Image = image };
    public static ImageProbeResult Reject(RejectCode code, string message) => new() { Rejection = new RejectReason(code, message) };
}

public sealed record ProbedImage
{
    public required ImageFormat Format { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int ExifOrientation { get; init; }
    public required ulong PerceptualHash { get; init; }
    /// <summary>EXIF DateTimeOriginal as ISO 8601; an offset only when the file states one.</summary>
    public string? ExifDateTaken { get; init; }
}

public enum RejectCode
{
    Empty,
    NotAnImage,
    UnsupportedFormat,
    TooManyPixels,
    Truncated,
    Corrupt,
    Unreadable,
    NotFound,
    BadManifestRow,
    TooLarge,
    /// <summary>The address or host is not allowed (link-local, cloud metadata, outside the allow-list).</summary>
    Blocked,
    /// <summary>robots.txt does not allow the path.</summary>
    RobotsDisallowed,
    /// <summary>No complete response in time.</summary>
    Timeout,
    /// <summary>The server answered with an error status.</summary>
    HttpError,
    RedirectLoop,
    TooManyRedirects,
    /// <summary>The connection failed (refused, reset, name not found).</summary>
    NetworkError,
    /// <summary>The label hint given with the photo (folder name, manifest column, URL list) is no valid
    /// label name (see <see cref="Common.LabelNames"/>).</summary>
    InvalidLabel,
}

public sealed record RejectReason(RejectCode Code, string Message);
