using SkiaSharp;

namespace Skillmaker.Vision.Detection;

/// <summary>Fills a detector's NCHW input from an image: resized into the letterbox (bilinear), grey
/// 114 padding, RGB, divided by 255.</summary>
public static class LetterboxTensor
{
    private const float Pad = Letterbox.PadValue / 255f;

    public static void Fill(SKBitmap image, Letterbox letterbox, float[] input)
    {
        int tw = letterbox.TargetWidth, th = letterbox.TargetHeight, plane = tw * th;
        if (input.Length != 3 * plane) throw new ArgumentException($"Input holds {input.Length} values; expected 3x{th}x{tw}.", nameof(input));
        if (image.ColorType != SKColorType.Rgba8888) throw new ArgumentException($"Expected an RGBA8888 image, got {image.ColorType}.", nameof(image));

        SKBitmap? resized = null;
        try
        {
            var source = image;
            if (letterbox.ResizedWidth != image.Width || letterbox.ResizedHeight != image.Height)
            {
                resized = new SKBitmap(new SKImageInfo(letterbox.ResizedWidth, letterbox.ResizedHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                if (!image.ScalePixels(resized, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)))
                    throw new InvalidOperationException("SkiaSharp could not resize the image for the detector.");
                source = resized;
            }
            Write(source.GetPixelSpan(), source.RowBytes, letterbox, input);
        }
        finally
        {
            resized?.Dispose();
        }
    }

    private static void Write(ReadOnlySpan<byte> pixels, int rowBytes, Letterbox lb, float[] input)
    {
        int tw = lb.TargetWidth, th = lb.TargetHeight, plane = tw * th;
        var r = input.AsSpan(0, plane);
        var g = input.AsSpan(plane, plane);
        var b = input.AsSpan(2 * plane, plane);
        // Only the borders need padding; the inside is overwritten below.
        if (lb.ResizedWidth != tw || lb.ResizedHeight != th)
        {
            r.Fill(Pad);
            g.Fill(Pad);
            b.Fill(Pad);
        }
        const float inv = 1f / 255f;
        for (var y = 0; y < lb.ResizedHeight; y++)
        {
            var row = pixels.Slice(y * rowBytes, lb.ResizedWidth * 4);
            var offset = (y + lb.PadTop) * tw + lb.PadLeft;
            for (int x = 0, p = 0; x < lb.ResizedWidth; x++, p += 4)
            {
                r[offset + x] = row[p] * inv;
                g[offset + x] = row[p + 1] * inv;
                b[offset + x] = row[p + 2] * inv;
            }
        }
    }
}
