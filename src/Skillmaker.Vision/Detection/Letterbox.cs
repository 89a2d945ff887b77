using Skillmaker.Detection;

namespace Skillmaker.Vision.Detection;

/// <summary>How an image is fitted into a detector's input: scaled to fit whole, aspect ratio kept,
/// centred, the rest padded (grey 114, as Ultralytics trains). Pure arithmetic, so the mapping of boxes
/// back to the image can be tested on its own.</summary>
public readonly record struct Letterbox(int SourceWidth, int SourceHeight, int TargetWidth, int TargetHeight, int ResizedWidth, int ResizedHeight, int PadLeft, int PadTop)
{
    public const byte PadValue = 114;

    public static Letterbox Fit(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight)
    {
        if (sourceWidth <= 0 || sourceHeight <= 0) throw new ArgumentException($"Source size {sourceWidth}x{sourceHeight} is empty.");
        if (targetWidth <= 0 || targetHeight <= 0) throw new ArgumentException($"Target size {targetWidth}x{targetHeight} is empty.");
        var scale = Math.Min((double)targetWidth / sourceWidth, (double)targetHeight / sourceHeight);
        var resizedWidth = Math.Clamp((int)Math.Round(sourceWidth * scale), 1, targetWidth);
        var resizedHeight = Math.Clamp((int)Math.Round(sourceHeight * scale), 1, targetHeight);
        return new Letterbox(sourceWidth, sourceHeight, targetWidth, targetHeight, resizedWidth, resizedHeight,
            (targetWidth - resizedWidth) / 2, (targetHeight - resizedHeight) / 2);
    }

    /// <summary>Horizontal scale actually applied (resized / source); differs from the vertical one only by rounding.</summary>
    public double ScaleX => (double)ResizedWidth / SourceWidth;
    public double ScaleY => (double)ResizedHeight / SourceHeight;

    /// <summary>Maps a box in model-input pixels to source pixels, clipped to the source image.</summary>
    public BoundingBox ToSource(BoundingBox box) => new BoundingBox(
        (float)((box.X1 - PadLeft) / ScaleX), (float)((box.Y1 - PadTop) / ScaleY),
        (float)((box.X2 - PadLeft) / ScaleX), (float)((box.Y2 - PadTop) / ScaleY)).ClipTo(SourceWidth, SourceHeight);

    /// <summary>Maps a box in source pixels to model-input pixels (the inverse, unclipped).</summary>
    public BoundingBox ToTarget(BoundingBox box) => new(
        (float)(box.X1 * ScaleX + PadLeft), (float)(box.Y1 * ScaleY + PadTop),
        (float)(box.X2 * ScaleX + PadLeft), (float)(box.Y2 * ScaleY + PadTop));
}
