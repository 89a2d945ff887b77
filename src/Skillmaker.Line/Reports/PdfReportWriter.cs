using System.Globalization;
using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Reports;

/// <summary>Lays a <see cref="ModelReport"/> out as an A4 PDF a client can read: versioning, data,
/// metrics, confusion matrix, failures with where the model looked, and the gate decision.</summary>
public static class PdfReportWriter
{
    public static async Task WriteAsync(ModelReport report, string path, CancellationToken cancellationToken)
    {
        var temp = AtomicFile.TempSibling(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            using (var stream = new SKFileWStream(temp))
            using (var document = SKDocument.CreatePdf(stream, new SKDocumentPdfMetadata
            {
                Title = $"{report.Skill} v{report.Version} model report",
                Creator = $"Skillmaker {report.CodeVersion}",
                Producer = "Skillmaker",
                // Above 100 means lossless: the default struct value 0 was JPEG quality 0, which blurred
                // the confusion matrix, charts and heat maps past reading.
                EncodingQuality = 101,
            }))
            using (var layout = new Layout(document))
            {
                Render(report, layout);
                layout.Finish();
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        await Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static void Render(ModelReport report, Layout layout)
    {
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
        ], [105f, 410f]);

        layout.Heading("2. Data used");
        var counts = report.ClassCounts;
        var largest = counts.MaxBy(c => c.Total)!;
        var smallest = counts.MinBy(c => c.Total)!;
        layout.Text($"{counts.Sum(c => c.Total)} images in {counts.Count} classes: {counts.Sum(c => c.Train)} for training, {counts.Sum(c => c.Test)} held out for testing. " +
                    $"Largest class: {largest.Class} ({largest.Total}); smallest: {smallest.Class} ({smallest.Total}).");
        if (report.Sources.Count > 0)
            layout.Text("Sources: " + string.Join(", ", report.Sources.Select(s => $"{s.Source} ({s.Images})")) + ".");
        layout.Image(Charts.ClassBalance(counts), 515, "Class balance (train and test images per class)");
        layout.Table(["Class", "Train", "Test", "Total"], [.. counts.Select(c => new[] { c.Class, N(c.Train), N(c.Test), N(c.Total) })], [295f, 70f, 70f, 80f]);

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
        ], [200f, 315f]);
        layout.Table(["Class", "Precision", "Recall", "F1", "Support"], [.. e.PerClass.Select(c => new[] { c.Class, Pct(c.Precision), Pct(c.Recall), Pct(c.F1), N(c.Support) })], [235f, 70f, 70f, 70f, 70f]);

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
            var verdict = gate switch
            {
                { Forced: true } => "PROMOTED (FORCED). ",
                { Outcome: GateDecision.NoChangeOutcome } => "NO CHANGE (production stays). ",
                { Passed: true } => "PASSED. ",
                _ => "NOT PROMOTED. ",
            };
            layout.Text(verdict + gate.Reason);
            if (gate.Checks.Count > 0)
                layout.Table(["Check", "Result", "Detail"], [.. gate.Checks.Select(c => new[] { c.Name, c.Skipped ? "skipped" : c.Passed ? "pass" : "fail", c.Explanation })], [80f, 45f, 390f]);
            if (gate.Comparison is { PerClass.Count: > 0 } paired)
            {
                layout.Text($"Per-class recall against production on the same {N(paired.Items)} items (candidate − production; intervals at a Bonferroni-corrected level):");
                layout.Table(["Class", "Items", "Production", "Candidate", "Change (CI)"],
                    [.. paired.PerClass.OrderBy(c => c.Delta.Estimate).Select(c => new[] { c.Class, N(c.Items), Pct(c.ProductionRecall), Pct(c.CandidateRecall), c.Delta.Describe() })],
                    [150f, 45f, 70f, 70f, 180f]);
            }
        }
        else layout.Text("At training time this version had not been through the promotion gate. `skillmaker promote` writes this report again with its decision (beside the decision record and in the deployment bundle); `skillmaker report` always includes the latest decision.");

        layout.Heading("7. Cascade evaluation");
        if (report.Gate?.Cascade is { } cascade)
        {
            var c = cascade.Candidate;
            var p = cascade.Production;
            layout.Text($"The whole stack (detector → cascade, as the server runs it) on {cascade.Set}: {N(c.Photos)} photos, {N(c.VehiclePhotos)} with a labelled vehicle" +
                        (cascade.Excluded.Count > 0 ? $", {N(cascade.Excluded.Count)} left out (seen in training or ambiguous)" : "") +
                        $". Production as served, and with {report.Skill} v{cascade.CandidateVersion} swapped in for v{cascade.ProductionVersion}, photo by photo on the same machine.");
            layout.Table(["Stage", "Production", "Candidate", "Abstained", "Truth in options"],
            [
                ["vehicle found", $"{N(p.VehicleFound)} of {N(p.VehiclePhotos)}", $"{N(c.VehicleFound)} of {N(c.VehiclePhotos)}", "", ""],
                .. c.Stages.Select(st =>
                {
                    var ps = p.Stages.FirstOrDefault(x => x.Skill == st.Skill);
                    return new[]
                    {
                        st.Skill, ps is null ? "n/a" : $"{Pct(ps.Accuracy)} of {N(ps.WithTruth)}", $"{Pct(st.Accuracy)} of {N(st.WithTruth)}",
                        $"{(ps is null ? "n/a" : N(ps.Abstained))} → {N(st.Abstained)}",
                        $"{(ps is null ? "n/a" : CascadeEvaluator.Percent(ps.OptionsHit, ps.WithTruth))} → {CascadeEvaluator.Percent(st.OptionsHit, st.WithTruth)}",
                    };
                }),
                ["end to end", Pct(p.EndToEndAccuracy), Pct(c.EndToEndAccuracy), $"{Pct(p.AbstainRate)} → {Pct(c.AbstainRate)}", $"{Pct(p.OptionsHitRate)} → {Pct(c.OptionsHitRate)}"],
                ["latency p50 / p95", $"{p.LatencyP50Ms:0} / {p.LatencyP95Ms:0} ms", $"{c.LatencyP50Ms:0} / {c.LatencyP95Ms:0} ms", "", ""],
            ], [120f, 100f, 100f, 95f, 100f]);
            layout.Text($"End-to-end change (candidate − production) on {N(cascade.Items)} vehicle photos: {cascade.EndToEnd.Describe()}, McNemar p = {cascade.McNemarP.ToString("0.###", CultureInfo.InvariantCulture)} " +
                        $"({N(cascade.CandidateOnlyRight)} photos only the candidate got right, {N(cascade.ProductionOnlyRight)} only production)." +
                        (cascade.Changed.Count == 0 ? "" : " Photos whose outcome changed: " + string.Join("; ", cascade.Changed.Take(8).Select(x =>
                            $"{Path.GetFileName(x.Photo)[..Math.Min(16, Path.GetFileName(x.Photo).Length)]} ({x.Label}) {x.Production} → {x.Candidate}")) + (cascade.Changed.Count > 8 ? "; …" : "") + "."));
        }
        else layout.Text("Not run for this version: promotion runs the cascade with the candidate swapped in when the skill is in the workspace's cascade (serving.json) and serving.json names an evaluation set; `skillmaker eval-cascade` runs it on its own.");

    }

    private static string Pct(double v) => Numbers.Percent(v);
    private static string N(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A top-to-bottom flow over A4 pages (in points) with automatic page breaks, drawn with
    /// SkiaSharp's PDF backend (text stays selectable and searchable).</summary>
    private sealed class Layout : IDisposable
    {
        private const float PageWidth = 595, PageHeight = 842, Margin = 40;
        private readonly SKDocument _document;
        private readonly SKFont _body = new(Fonts.Sans, 9.5f);
        private readonly SKFont _small = new(Fonts.Sans, 8f);
        private readonly SKFont _bold = new(Fonts.SansBold, 9.5f);
        private readonly SKFont _heading = new(Fonts.SansBold, 13f);
        private readonly SKFont _title = new(Fonts.SansBold, 18f);
        private readonly SKPaint _ink = new() { Color = SKColors.Black, IsAntialias = true };
        private readonly SKPaint _accent = new() { Color = new SKColor(0x2F, 0x3E, 0x7A), IsAntialias = true };
        private readonly SKPaint _line = new() { Color = SKColors.Gray, Style = SKPaintStyle.Stroke, StrokeWidth = 0.5f };
        private readonly SKPaint _shade = new() { Color = new SKColor(0xE4, 0xE4, 0xE4) };
        private SKCanvas? _canvas;
        private float _y;

        public Layout(SKDocument document) => _document = document;

        private static float Width => PageWidth - 2 * Margin;

        private void Ensure(float height)
        {
            if (_canvas is not null && _y + height <= PageHeight - Margin) return;
            if (_canvas is not null) _document.EndPage();
            _canvas = _document.BeginPage(PageWidth, PageHeight);
            _y = Margin;
        }

        private void Draw(string text, SKFont font, SKPaint paint, float x, float top) =>
            _canvas!.DrawText(text, x, top + font.Size, SKTextAlign.Left, font, paint);

        public void Title(string text)
        {
            Ensure(30);
            Draw(text, _title, _ink, Margin, _y);
            _y += 30;
        }

        public void Heading(string text)
        {
            Ensure(60);
            _y += 8;
            Draw(text, _heading, _accent, Margin, _y);
            _y += 22;
        }

        public void Text(string text, SKFont? font = null)
        {
            font ??= _body;
            foreach (var line in Wrap(text, font, Width))
            {
                Ensure(13);
                Draw(line, font, _ink, Margin, _y);
                _y += 13;
            }
            _y += 4;
        }

        public void Table(string[] header, IReadOnlyList<string[]> rows, float[] widths)
        {
            Row(header, widths, _bold, shaded: true);
            foreach (var row in rows) Row(row, widths, _body, shaded: false);
            _y += 6;
        }

        private void Row(string[] cells, float[] widths, SKFont font, bool shaded)
        {
            var wrapped = cells.Select((c, i) => Wrap(c, font, widths[i] - 6).ToList()).ToList();
            var height = wrapped.Max(w => w.Count) * 12 + 4;
            Ensure(height);
            var x = Margin;
            for (var i = 0; i < cells.Length; i++)
            {
                var rect = new SKRect(x, _y, x + widths[i], _y + height);
                if (shaded) _canvas!.DrawRect(rect, _shade);
                _canvas!.DrawRect(rect, _line);
                for (var l = 0; l < wrapped[i].Count; l++) Draw(wrapped[i][l], font, _ink, x + 3, _y + 1 + l * 12);
                x += widths[i];
            }
            _y += height;
        }

        public void Image(byte[] png, float width, string caption)
        {
            using var image = SKImage.FromEncodedData(png) ?? throw new InvalidOperationException("chart image did not decode");
            var height = width * image.Height / image.Width;
            Ensure(height + 16);
            _canvas!.DrawImage(image, new SKRect(Margin, _y, Margin + width, _y + height), new SKSamplingOptions(SKFilterMode.Linear));
            _y += height + 2;
            Text(caption, _small);
        }

        public void ImagePair(byte[] left, byte[]? right, string caption)
        {
            const float cellHeight = 130;
            Ensure(cellHeight + 30);
            var x = Margin;
            foreach (var png in new[] { left, right })
            {
                if (png is null) continue;
                using var image = SKImage.FromEncodedData(png) ?? throw new InvalidOperationException("failure image did not decode");
                var w = Math.Min(Width / 2 - 6, cellHeight * image.Width / image.Height);
                var h = w * image.Height / image.Width;
                _canvas!.DrawImage(image, new SKRect(x, _y, x + w, _y + h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                x += w + 12;
            }
            _y += cellHeight + 2;
            Text(caption, _small);
        }

        public void Finish()
        {
            if (_canvas is not null) _document.EndPage();
            _document.Close();
        }

        private static IEnumerable<string> Wrap(string text, SKFont font, float width)
        {
            foreach (var paragraph in text.Split('\n'))
            {
                var line = "";
                foreach (var word in paragraph.Split(' '))
                {
                    var candidate = line.Length == 0 ? word : line + " " + word;
                    if (font.MeasureText(candidate) <= width || line.Length == 0)
                    {
                        line = candidate;
                        // A single word wider than the column is cut so it cannot overflow.
                        while (font.MeasureText(line) > width && line.Length > 8)
                        {
                            var cut = line.Length - 1;
                            while (cut > 1 && font.MeasureText(line[..cut]) > width) cut--;
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

        public void Dispose()
        {
            foreach (var d in new IDisposable[] { _body, _small, _bold, _heading, _title, _ink, _accent, _line, _shade }) d.Dispose();
        }
    }
}
