using SkiaSharp;
using Skillmaker.Detection;
using Skillmaker.Imaging;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Vision.Detection;

/// <summary>A decoded image with its detections; crops and previews are cut from the same pixels.</summary>
internal sealed class SkiaDetectionFrame(SKBitmap image, IReadOnlyList<DetectedObject> detections) : IDetectionFrame
{
    /// <summary>High enough that a labeller sees no artefacts; crops are small, so size is no concern.</summary>
    public const int CropJpegQuality = 95;

    private static readonly SkiaImageProbe Probe = new();

    public int Width => image.Width;
    public int Height => image.Height;
    public IReadOnlyList<DetectedObject> Detections => detections;
    internal SKBitmap Image => image;

    public EncodedCrop Crop(PixelRect rect)
    {
        if (rect.Width <= 0 || rect.Height <= 0 || rect.X < 0 || rect.Y < 0 || rect.X + rect.Width > Width || rect.Y + rect.Height > Height)
            throw new ArgumentOutOfRangeException(nameof(rect), rect, $"Crop rectangle is empty or outside the {Width}x{Height} image.");
        using var subset = new SKBitmap();
        if (!image.ExtractSubset(subset, new SKRectI(rect.X, rect.Y, rect.X + rect.Width, rect.Y + rect.Height)))
            throw new InvalidOperationException($"SkiaSharp could not cut {rect} from the image.");
        var bytes = Encode(subset, CropJpegQuality);
        // Measured the way ingest measures an image, so a crop's record means what an original's does.
        var probed = Probe.Probe(bytes, new ImageProbeOptions());
        var measured = probed.Image ?? throw new InvalidOperationException($"A freshly encoded crop could not be read back: {probed.Rejection?.Message}");
        return new EncodedCrop { Bytes = bytes, Format = ImageFormatSniffer.Name(measured.Format), Width = measured.Width, Height = measured.Height, PerceptualHash = measured.PerceptualHash };
    }

    public byte[] RenderPreview(IReadOnlyList<(DetectedObject Detection, bool Kept)> boxes)
    {
        using var canvasBitmap = image.Copy() ?? throw new InvalidOperationException("SkiaSharp could not copy the image.");
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            var side = Math.Min(Width, Height);
            var bold = Math.Max(2f, side / 200f);
            using var font = new SKFont(SKTypeface.Default, Math.Max(12f, side / 40f));
            using var textPaint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            // Weaker boxes first, so the kept ones are drawn on top.
            foreach (var (d, kept) in boxes.OrderBy(b => b.Kept).ThenBy(b => b.Detection.Score))
            {
                var colour = kept ? SKColors.Lime : SKColors.Orange;
                using var stroke = new SKPaint { Color = colour, Style = SKPaintStyle.Stroke, StrokeWidth = kept ? bold : Math.Max(1f, bold / 2), IsAntialias = true };
                canvas.DrawRect(SKRect.Create(d.Box.X1, d.Box.Y1, d.Box.Width, d.Box.Height), stroke);
                var label = $"{d.ClassName} {d.Score:0.00}";
                var width = font.MeasureText(label);
                var top = Math.Max(0, d.Box.Y1 - font.Size - 4);
                using var fill = new SKPaint { Color = colour, Style = SKPaintStyle.Fill };
                canvas.DrawRect(SKRect.Create(d.Box.X1, top, width + 6, font.Size + 4), fill);
                canvas.DrawText(label, d.Box.X1 + 3, top + font.Size, SKTextAlign.Left, font, textPaint);
            }
        }
        return Encode(canvasBitmap, 85);
    }

    public void Dispose() => image.Dispose();

    private static byte[] Encode(SKBitmap bitmap, int quality)
    {
        using var skImage = SKImage.FromBitmap(bitmap);
        using var data = skImage.Encode(SKEncodedImageFormat.Jpeg, quality) ?? throw new InvalidOperationException("SkiaSharp could not encode the image as JPEG.");
        return data.ToArray();
    }
}
