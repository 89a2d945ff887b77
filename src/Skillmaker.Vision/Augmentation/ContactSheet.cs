using SkiaSharp;

namespace Skillmaker.Vision.Augmentation;

/// <summary>A grid for people to look at: one row per image, the original first, then its copies.</summary>
public static class ContactSheet
{
    public const int CellHeight = 160;
    private const int Gap = 6;
    private const int LabelHeight = 18;

    public static SKBitmap Render(IReadOnlyList<(string Caption, IReadOnlyList<SKBitmap> Cells)> rows)
    {
        var widths = rows.Select(r => r.Cells.Sum(c => Scaled(c) + Gap) + Gap).ToList();
        var width = Math.Max(200, widths.DefaultIfEmpty(0).Max());
        var height = rows.Count * (CellHeight + LabelHeight + Gap) + Gap;
        var sheet = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(Imaging.Fonts.Sans, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        var y = Gap;
        foreach (var (caption, cells) in rows)
        {
            canvas.DrawText(caption, Gap, y + 13, SKTextAlign.Left, font, ink);
            var x = Gap;
            foreach (var cell in cells)
            {
                var w = Scaled(cell);
                using var image = SKImage.FromBitmap(cell);
                canvas.DrawImage(image, new SKRect(x, y + LabelHeight, x + w, y + LabelHeight + CellHeight), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                x += w + Gap;
            }
            y += CellHeight + LabelHeight + Gap;
        }
        return sheet;
    }

    private static int Scaled(SKBitmap cell) => Math.Max(1, (int)Math.Round(cell.Width * (double)CellHeight / Math.Max(1, cell.Height)));
}
