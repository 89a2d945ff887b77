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

    private static readonly Lazy<SKTypeface> Regular = new(() => Load(Candidates));
    private static readonly Lazy<SKTypeface> Bold = new(() => Load([.. Candidates.Select(c => c.Replace("Sans.ttf", "Sans-Bold.ttf", StringComparison.Ordinal).Replace("Regular", "Bold", StringComparison.Ordinal))]));

    public static SKTypeface Sans => Regular.Value;
    public static SKTypeface SansBold => Bold.Value;

    /// <summary>Path of the regular font file, for libraries that load fonts themselves (charts).</summary>
    public static string? SansPath => Candidates.FirstOrDefault(File.Exists);

    private static SKTypeface Load(string[] paths) =>
        paths.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default;
}
