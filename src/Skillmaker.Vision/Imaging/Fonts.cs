using SkiaSharp;

namespace Skillmaker.Vision.Imaging;

/// <summary>A typeface for captions. The Linux SkiaSharp build has no font manager, so a font file is
/// loaded directly (Debian's fonts-dejavu-core), falling back to Skia's default.</summary>
public static class Fonts
{
    private static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<SKTypeface> Loaded = new(() =>
        Candidates.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default);

    public static SKTypeface Sans => Loaded.Value;
}
