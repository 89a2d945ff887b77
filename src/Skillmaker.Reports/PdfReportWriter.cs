using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using Skillmaker.Common;

namespace Skillmaker.Reports;

/// <summary>Lays a <see cref="ModelReport"/> out as an A4 PDF a client can read: versioning, data,
/// metrics, confusion matrix, failures with where the model looked, and the gate decision.</summary>
public static class PdfReportWriter
{
    public static async Task WriteAsync(ModelReport report, string path, CancellationToken cancellationToken)
    {
        ReportFonts.EnsureInstalled();
        using var document = new PdfDocument();
        document.Info.Title = $"{report.Skill} v{report.Version} model report";
        document.Info.Creator = $"Skillmaker {report.CodeVersion}";
        var layout = new Layout(document);

        layout.Title($"Model report: {report.Skill} v{report.Version}");
        layout.Text($"Generated {report.CreatedAt:yyyy-MM-dd HH:mm} UTC by Skillmaker. Every number below was measured, not written by hand.");

        layout.Heading("1. Versioning");
        layout.Table(["Field", "Value"],
        [
            ["Skill version", $"{report.Skill} v{report.Version}"],
            ["Code commit", report.CodeVersion],
            ["Config hash", report.ConfigHash],
            ["Manifest id", report.ManifestId],
            ["Backbone sha256", report.BackboneSha256],
            ["Backbone file", Path.GetFileName(report.BackbonePath)],
            ["Head", report.Head],
        ], [130, 385]);

        layout.Heading("2. Data used");
        var counts = report.ClassCounts;
        var largest = counts.MaxBy(c => c.Total)!;
        var smallest = counts.MinBy(c => c.Total)!;
        layout.Text($"{counts.Sum(c => c.Total)} images in {counts.Count} classes: {counts.Sum(c => c.Train)} for training, {counts.Sum(c => c.Test)} held out for testing. " +
                    $"Largest class: {largest.Class} ({largest.Total}); smallest: {smallest.Class} ({smallest.Total}).");
        if (report.Sources.Count > 0)
            layout.Text("Sources: " + string.Join(", ", report.Sources.Select(s => $"{s.Source} ({s.Images})")) + ".");
        layout.Image(Charts.ClassBalance(counts), 515, "Class balance (train and test images per class)");
        layout.Table(["Class", "Train", "Test", "Total"], [.. counts.Select(c => new[] { c.Class, N(c.Train), N(c.Test), N(c.Total) })], [295, 70, 70, 80]);

        var e = report.Evaluation;
        layout.Heading("3. Metrics");
        layout.Text($"Measured on {e.Images} test images of manifest {e.ManifestId[..12]} on {e.Machine}, {e.EvaluatedAt:yyyy-MM-dd HH:mm} UTC.");
        layout.Table(["Metric", "Value"],
        [
            ["Accuracy (top-1)", Pct(e.Accuracy)],
            ["Balanced accuracy", Pct(e.BalancedAccuracy)],
            .. e.TopK.Skip(1).Select((v, i) => new[] { $"Top-{i + 2} accuracy", Pct(v) }),
            ["Calibration error (ECE)", e.CalibrationError.ToString("0.000", CultureInfo.InvariantCulture)],
            ["Latency p50 / p95 per image", $"{e.LatencyP50Ms:0.0} ms / {e.LatencyP95Ms:0.0} ms"],
        ], [200, 315]);
        layout.Table(["Class", "Precision", "Recall", "F1", "Support"], [.. e.PerClass.Select(c => new[] { c.Class, Pct(c.Precision), Pct(c.Recall), Pct(c.F1), N(c.Support) })], [235, 70, 70, 70, 70]);

        layout.Heading("4. Confusion matrix");
        layout.Image(Charts.ConfusionMatrix(e.Classes, e.ConfusionMatrix), 470, "Rows: true class; columns: predicted class; colour: share of the row; numbers: images.");

        layout.Heading("5. Failures");
        if (report.Failures.Count == 0) layout.Text("No test image was misclassified.");
        else
        {
            layout.Text($"{e.Failures.Count} of {e.Images} test images were misclassified; the most confident mistakes are shown. " +
                        "Red marks where covering the image lowered the true class's probability most (occlusion sensitivity): where the model looked.");
            foreach (var f in report.Failures)
                layout.ImagePair(f.ImagePng, f.HeatmapPng,
                    $"{f.Failure.ImageId[..12]}: true {f.Failure.TrueClass} ({Pct(f.Failure.TrueProbability)}), predicted {f.Failure.PredictedClass} ({Pct(f.Failure.PredictedProbability)})");
        }

        layout.Heading("6. Gate decision");
        if (report.Gate is { } gate)
        {
            layout.Text((gate.Passed ? "PASSED. " : "NOT PROMOTED. ") + gate.Reason);
            if (gate.Checks.Count > 0)
                layout.Table(["Check", "Result", "Detail"], [.. gate.Checks.Select(c => new[] { c.Name, c.Passed ? "pass" : "fail", c.Explanation })], [80, 45, 390]);
        }
        else layout.Text("This version has not been through the promotion gate yet (run `skillmaker promote`).");

        var temp = AtomicFile.TempSibling(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await using (var stream = File.Create(temp)) await document.SaveAsync(stream).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    private static string N(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A top-to-bottom flow over A4 pages with automatic page breaks.</summary>
    private sealed class Layout(PdfDocument document)
    {
        private const double Margin = 40;
        private readonly XFont _body = new("DejaVu Sans", 9.5);
        private readonly XFont _small = new("DejaVu Sans", 8);
        private readonly XFont _bold = new("DejaVu Sans", 9.5, XFontStyleEx.Bold);
        private readonly XFont _heading = new("DejaVu Sans", 13, XFontStyleEx.Bold);
        private readonly XFont _title = new("DejaVu Sans", 18, XFontStyleEx.Bold);
        private XGraphics? _gfx;
        private PdfPage? _page;
        private double _y;

        private double Width => _page!.Width.Point - 2 * Margin;

        private void Ensure(double height)
        {
            if (_gfx is not null && _y + height <= _page!.Height.Point - Margin) return;
            _gfx?.Dispose();
            _page = document.AddPage();
            _page.Size = PdfSharp.PageSize.A4;
            _gfx = XGraphics.FromPdfPage(_page);
            _y = Margin;
        }

        public void Title(string text)
        {
            Ensure(30);
            _gfx!.DrawString(text, _title, XBrushes.Black, new XRect(Margin, _y, Width, 24), XStringFormats.TopLeft);
            _y += 30;
        }

        public void Heading(string text)
        {
            Ensure(60);
            _y += 8;
            _gfx!.DrawString(text, _heading, XBrushes.DarkSlateBlue, new XRect(Margin, _y, Width, 18), XStringFormats.TopLeft);
            _y += 22;
        }

        public void Text(string text, XFont? font = null)
        {
            font ??= _body;
            foreach (var line in Wrap(text, font, Width))
            {
                Ensure(13);
                _gfx!.DrawString(line, font, XBrushes.Black, new XRect(Margin, _y, Width, 13), XStringFormats.TopLeft);
                _y += 13;
            }
            _y += 4;
        }

        public void Table(string[] header, IReadOnlyList<string[]> rows, double[] widths)
        {
            Row(header, widths, _bold, XBrushes.LightGray);
            foreach (var row in rows) Row(row, widths, _body, null);
            _y += 6;
        }

        private void Row(string[] cells, double[] widths, XFont font, XBrush? background)
        {
            var wrapped = cells.Select((c, i) => Wrap(c, font, widths[i] - 6).ToList()).ToList();
            var height = wrapped.Max(w => w.Count) * 12 + 4;
            Ensure(height);
            var x = Margin;
            for (var i = 0; i < cells.Length; i++)
            {
                var rect = new XRect(x, _y, widths[i], height);
                if (background is not null) _gfx!.DrawRectangle(background, rect);
                _gfx!.DrawRectangle(XPens.Gray, rect);
                for (var l = 0; l < wrapped[i].Count; l++)
                    _gfx.DrawString(wrapped[i][l], font, XBrushes.Black, new XRect(x + 3, _y + 2 + l * 12, widths[i] - 6, 12), XStringFormats.TopLeft);
                x += widths[i];
            }
            _y += height;
        }

        public void Image(byte[] png, double width, string caption)
        {
            using var image = XImage.FromStream(new MemoryStream(png));
            var height = width * image.PixelHeight / image.PixelWidth;
            Ensure(height + 16);
            _gfx!.DrawImage(image, Margin, _y, width, height);
            _y += height + 2;
            Text(caption, _small);
        }

        public void ImagePair(byte[] left, byte[]? right, string caption)
        {
            const double cellHeight = 130;
            Ensure(cellHeight + 30);
            var x = Margin;
            foreach (var png in new[] { left, right })
            {
                if (png is null) continue;
                using var image = XImage.FromStream(new MemoryStream(png));
                var w = Math.Min(Width / 2 - 6, cellHeight * image.PixelWidth / image.PixelHeight);
                var h = w * image.PixelHeight / image.PixelWidth;
                _gfx!.DrawImage(image, x, _y, w, h);
                x += w + 12;
            }
            _y += cellHeight + 2;
            Text(caption, _small);
        }

        private IEnumerable<string> Wrap(string text, XFont font, double width)
        {
            Ensure(0);
            foreach (var paragraph in text.Split('\n'))
            {
                var line = "";
                foreach (var word in paragraph.Split(' '))
                {
                    var candidate = line.Length == 0 ? word : line + " " + word;
                    if (_gfx!.MeasureString(candidate, font).Width <= width || line.Length == 0)
                    {
                        line = candidate;
                        // A single word wider than the column is cut so it cannot overflow.
                        while (_gfx.MeasureString(line, font).Width > width && line.Length > 8)
                        {
                            var cut = line.Length - 1;
                            while (cut > 1 && _gfx.MeasureString(line[..cut], font).Width > width) cut--;
                            yield return line[..cut];
                            line = line[cut..];
                        }
                    }
                    else
                    {
                        yield return line;
                        line = word;
                    }
                }
                yield return line;
            }
        }
    }
}
