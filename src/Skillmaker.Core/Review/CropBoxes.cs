namespace Skillmaker.Review;

/// <summary>Where a crop was cut from its parent photo, in the parent's oriented pixels.</summary>
public sealed record CropBox(int X, int Y, int Width, int Height, int ParentWidth, int ParentHeight);

/// <summary>Finds the box a crop was cut from (the detection stage records it).</summary>
public interface ICropBoxSource
{
    Task<CropBox?> GetBoxAsync(string cropId, CancellationToken cancellationToken);
}
