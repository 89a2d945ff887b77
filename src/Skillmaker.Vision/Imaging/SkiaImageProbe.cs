using System.Globalization;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using SkiaSharp;
using Skillmaker.Imaging;

namespace Skillmaker.Vision.Imaging;

/// <summary>Probes images with SkiaSharp. The header is checked against the pixel limit before any
/// pixel is decoded; the whole stream is then decoded at a reduced scale (cheap for JPEG, and still
/// enough to notice truncation) and hashed.</summary>
public sealed class SkiaImageProbe : IImageProbe
{
    // The hash needs 32×32; decoding to at least twice that keeps the downsampling clean.
    private const int MinDecodeSide = 64;

    public ImageProbeResult Probe(ReadOnlySpan<byte> bytes, ImageProbeOptions options)
    {
        if (bytes.IsEmpty) return ImageProbeResult.Reject(RejectCode.Empty, "empty file (0 bytes)");
        var head = bytes[..Math.Min(ImageFormatSniffer.HeadLength, bytes.Length)];
        var format = ImageFormatSniffer.Sniff(head);
        if (ImageFormatSniffer.Refusal(format) is { } refusal) return ImageProbeResult.Reject(refusal.Code, refusal.Message);

        using var data = SKData.CreateCopy(bytes);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var createResult);
        if (codec is null)
            return ImageProbeResult.Reject(createResult == SKCodecResult.IncompleteInput ? RejectCode.Truncated : RejectCode.Corrupt,
                $"cannot read the {ImageFormatSniffer.Name(format).ToUpperInvariant()} header ({Describe(createResult)})");

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        var pixels = (long)width * height;
        if (pixels > options.MaxPixels)
            return ImageProbeResult.Reject(RejectCode.TooManyPixels,
                $"too many pixels: {width}x{height} = {pixels / 1e6:0.#} MP exceeds the limit of {options.MaxPixels / 1e6:0.#} MP (ingest.maxPixels; protects against decompression bombs)");
        if (width <= 0 || height <= 0)
            return ImageProbeResult.Reject(RejectCode.Corrupt, $"the header states an empty size {width}x{height}");

        var scale = Math.Min(1f, (float)MinDecodeSide / Math.Min(width, height));
        var scaled = codec.GetScaledDimensions(scale);
        var decodeInfo = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result == SKCodecResult.IncompleteInput)
            return ImageProbeResult.Reject(RejectCode.Truncated, $"truncated: the {ImageFormatSniffer.Name(format).ToUpperInvariant()} data ends before the picture is complete");
        if (result is not (SKCodecResult.Success))
            return ImageProbeResult.Reject(RejectCode.Corrupt, $"cannot decode the {ImageFormatSniffer.Name(format).ToUpperInvariant()} pixels ({Describe(result)})");

        var orientation = (int)codec.EncodedOrigin;
        if (orientation is < 1 or > 8) orientation = 1;
        var swapsAxes = orientation >= 5;
        return ImageProbeResult.Ok(new ProbedImage
        {
            Format = format,
            Width = swapsAxes ? height : width,
            Height = swapsAxes ? width : height,
            ExifOrientation = orientation,
            PerceptualHash = PerceptualHash.Compute(OrientedLuminance(bitmap, orientation)),
            ExifDateTaken = ReadExifDateTaken(bytes),
        });
    }

    /// <summary>32×32 luminance of the image as a person sees it (EXIF orientation applied).</summary>
    internal static float[] OrientedLuminance(SKBitmap bitmap, int orientation)
    {
        const int n = PerceptualHash.Size;
        using var small = bitmap.Resize(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new InvalidOperationException("SkiaSharp could not resize the image.");
        var stored = new float[n * n];
        var span = small.GetPixelSpan();
        for (var i = 0; i < n * n; i++)
            stored[i] = 0.299f * span[i * 4] + 0.587f * span[i * 4 + 1] + 0.114f * span[i * 4 + 2];
        if (orientation == 1) return stored;

        var shown = new float[n * n];
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
            {
                var (sx, sy) = orientation switch
                {
                    2 => (n - 1 - x, y),
                    3 => (n - 1 - x, n - 1 - y),
                    4 => (x, n - 1 - y),
                    5 => (y, x),
                    6 => (y, n - 1 - x),
                    7 => (n - 1 - y, n - 1 - x),
                    8 => (n - 1 - y, x),
                    _ => (x, y),
                };
                shown[y * n + x] = stored[sy * n + sx];
            }
        return shown;
    }

    /// <summary>DateTimeOriginal as ISO 8601, with the offset only when OffsetTimeOriginal states one;
    /// null when absent or blank (cameras write zeros when the clock was never set).</summary>
    internal static string? ReadExifDateTaken(ReadOnlySpan<byte> bytes)
    {
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            directories = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception ex) when (ex is ImageProcessingException or IOException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
        var exif = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var raw = exif?.GetString(ExifDirectoryBase.TagDateTimeOriginal)?.Trim('\0', ' ');
        if (string.IsNullOrEmpty(raw) || raw.StartsWith("0000", StringComparison.Ordinal)) return null;
        if (!DateTime.TryParseExact(raw, ["yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy:MM:dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return null;
        var offset = exif!.GetString(ExifDirectoryBase.TagTimeZoneOriginal)?.Trim('\0', ' ');
        if (offset is { Length: 6 } && TimeSpan.TryParseExact(offset.TrimStart('+', '-'), @"hh\:mm", CultureInfo.InvariantCulture, out var span))
        {
            var signed = offset[0] == '-' ? -span : span;
            return new DateTimeOffset(local, signed).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        }
        return local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the data ends early",
        SKCodecResult.ErrorInInput => "the data is corrupt",
        SKCodecResult.InvalidInput => "the data is invalid",
        SKCodecResult.Unimplemented => "a feature of this file is not supported",
        _ => result.ToString(),
    };
}
