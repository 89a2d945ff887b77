using SkiaSharp;
using Skillmaker.Detection;
using Skillmaker.Imaging;

namespace Skillmaker.Vision.Imaging;

/// <summary>Decodes an image as a person sees it: EXIF orientation applied, alpha dropped (an RGBA
/// screenshot's colour channels are used as they are and the result is opaque). The pixels are RGBA8888
/// with alpha 255, so every consumer can read R, G, B at offsets 0, 1, 2.</summary>
public static class OrientedDecoder
{
    /// <summary>Throws <see cref="ImageDecodeException"/> naming the problem when the bytes are not a
    /// decodable image of at most <paramref name="maxPixels"/> pixels.</summary>
    public static SKBitmap Decode(ReadOnlySpan<byte> bytes, long maxPixels = 64_000_000)
    {
        if (bytes.IsEmpty) throw new ImageDecodeException("empty image (0 bytes)");
        var head = bytes[..Math.Min(64, bytes.Length)];
        var format = ImageFormatSniffer.Sniff(head);
        if (ImageFormatSniffer.Refusal(format) is { } refusal) throw new ImageDecodeException(refusal.Message);
        var name = ImageFormatSniffer.Name(format).ToUpperInvariant();

        using var data = SKData.CreateCopy(bytes);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var created)
            ?? throw new ImageDecodeException($"cannot read the {name} header ({(created == SKCodecResult.IncompleteInput ? "the data ends early" : "the data is corrupt")})");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0) throw new ImageDecodeException($"the {name} header states an empty size {width}x{height}");
        if ((long)width * height > maxPixels)
            throw new ImageTooLargeException($"too many pixels: {width}x{height} exceeds the limit of {maxPixels / 1e6:0.#} MP");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var stored = new SKBitmap(info);
        try
        {
            var result = codec.GetPixels(info, stored.GetPixels());
            if (result == SKCodecResult.IncompleteInput) throw new ImageDecodeException($"truncated: the {name} data ends before the picture is complete");
            if (result != SKCodecResult.Success) throw new ImageDecodeException($"cannot decode the {name} pixels ({result})");
            if (codec.Info.AlphaType != SKAlphaType.Opaque) MakeOpaque(stored);
            stored.SetImmutable();
            var orientation = (int)codec.EncodedOrigin;
            if (orientation is <= 1 or > 8) return stored;
            var oriented = Orient(stored, orientation);
            stored.Dispose();
            return oriented;
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    private static void MakeOpaque(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        for (var i = 3; i < pixels.Length; i += 4) pixels[i] = 255;
    }

    /// <summary>Remaps pixels for EXIF orientations 2..8 (same mapping as the perceptual hash).</summary>
    internal static SKBitmap Orient(SKBitmap stored, int orientation)
    {
        int sw = stored.Width, sh = stored.Height;
        var swaps = orientation >= 5;
        int w = swaps ? sh : sw, h = swaps ? sw : sh;
        var result = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(stored.GetPixelSpan());
        var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(result.GetPixelSpan());
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var (sx, sy) = orientation switch
                {
                    2 => (sw - 1 - x, y),
                    3 => (sw - 1 - x, sh - 1 - y),
                    4 => (x, sh - 1 - y),
                    5 => (y, x),
                    6 => (y, sh - 1 - x),
                    7 => (sw - 1 - y, sh - 1 - x),
                    8 => (sw - 1 - y, x),
                    _ => (x, y),
                };
                dst[y * w + x] = src[sy * sw + sx];
            }
        return result;
    }
}
