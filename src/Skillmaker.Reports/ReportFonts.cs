using PdfSharp.Fonts;
using Skillmaker.Common;

namespace Skillmaker.Reports;

/// <summary>Fonts for PDF and charts, read from Debian's fonts-dejavu-core (Linux has no font
/// resolver for PdfSharp by default).</summary>
public sealed class ReportFonts : IFontResolver
{
    private static readonly string[] Folders = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"];

    public static string RegularPath => Find("DejaVuSans.ttf");
    public static string BoldPath => Find("DejaVuSans-Bold.ttf");

    private static readonly Lock Gate = new();

    /// <summary>Installs this resolver once per process.</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (GlobalFontSettings.FontResolver is ReportFonts) return;
            GlobalFontSettings.FontResolver = new ReportFonts();
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) => new(bold ? "DejaVuSans-Bold" : "DejaVuSans");

    public byte[]? GetFont(string faceName) => File.ReadAllBytes(faceName == "DejaVuSans-Bold" ? BoldPath : RegularPath);

    private static string Find(string file) =>
        Folders.Select(f => Path.Combine(f, file)).FirstOrDefault(File.Exists)
        ?? throw new SkillmakerException($"Font {file} not found in {string.Join(" or ", Folders)}; install Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core).");
}
