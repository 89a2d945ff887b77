using SkiaSharp;
using Skillmaker.Common;

namespace Skillmaker.Vision.Imaging;

/// <summary>Full decodes as a person sees the photo: EXIF orientation applied, alpha dropped onto
/// opaque pixels.</summary>
public static class ImageDecoding
{
    public static SKBitmap DecodeOriented(ReadOnlySpan<byte> bytes, string what)
    {
        using var data = SKData.CreateCopy(bytes);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream) ?? throw new SkillmakerException($"{what} cannot be decoded as an image.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            decoded.Dispose();
            throw new SkillmakerException($"{what} cannot be decoded ({result}).");
        }
        return Orient(decoded, codec.EncodedOrigin);
    }

    /// <summary>Returns a bitmap with the orientation applied; disposes the input when it makes a new one.</summary>
    public static SKBitmap Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        // 0: no orientation recorded.
        if (origin is SKEncodedOrigin.TopLeft or 0) return bitmap;
        var swap = origin >= SKEncodedOrigin.LeftTop;
        var result = new SKBitmap(swap ? bitmap.Height : bitmap.Width, swap ? bitmap.Width : bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(result))
        {
            canvas.SetMatrix(OrientationMatrix(origin, bitmap.Width, bitmap.Height));
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default);
        }
        bitmap.Dispose();
        return result;
    }

    private static SKMatrix OrientationMatrix(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };

    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
