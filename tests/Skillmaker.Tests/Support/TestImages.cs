using SkiaSharp;

namespace Skillmaker.Tests.Support;

/// <summary>Makes image files for edge cases from real photos (re-encoded, resized, truncated).</summary>
public static class TestImages
{
    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 90)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>The photo decoded, scaled by <paramref name="scale"/> and re-encoded as JPEG.</summary>
    public static byte[] ReencodedCopy(string photo, double scale, int quality)
    {
        using var original = SKBitmap.Decode(photo);
        var info = new SKImageInfo(Math.Max(1, (int)(original.Width * scale)), Math.Max(1, (int)(original.Height * scale)));
        using var resized = original.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return Encode(resized, SKEncodedImageFormat.Jpeg, quality);
    }
}
