using Skillmaker.Detection;

namespace Skillmaker.Review;

/// <summary>The review grid's boxes from the detection stage: the rectangle each crop was cut from.</summary>
public sealed class DetectedCropBoxes(IDetectionStore detections) : ICropBoxSource
{
    public async Task<CropBox?> GetBoxAsync(string cropId, CancellationToken cancellationToken) =>
        await detections.FindCropOriginAsync(cropId, cancellationToken) is { } o
            ? new CropBox(o.Rect.X, o.Rect.Y, o.Rect.Width, o.Rect.Height, o.ParentWidth, o.ParentHeight)
            : null;
}
