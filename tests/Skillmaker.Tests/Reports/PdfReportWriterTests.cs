using System.Diagnostics;
using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Reports;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Explain;
using Skillmaker.Vision.Imaging;
using Skillmaker.Promotion;

namespace Skillmaker.Tests.Reports;

public sealed class PdfReportWriterTests
{
    /// <summary>A small honest model for the report to describe: nearest class centroid of 4×4 colour
    /// thumbnails, trained on the real car photos. Weak, but its every number is measured.</summary>
    private sealed class ThumbnailCentroids
    {
        private readonly List<float[]> _centroids = [];

        public ThumbnailCentroids(IReadOnlyList<(SKBitmap Image, int Class)> train, int classes)
        {
            for (var c = 0; c < classes; c++)
            {
                var members = train.Where(t => t.Class == c).Select(t => Features(t.Image)).ToList();
                _centroids.Add([.. Enumerable.Range(0, members[0].Length).Select(i => members.Average(m => m[i]))]);
            }
        }

        public float[] Predict(SKBitmap image)
        {
            var f = Features(image);
            var scores = _centroids.Select(c => -Math.Sqrt(c.Zip(f, (a, b) => (a - b) * (a - b)).Sum()) / 20).ToArray();
            var max = scores.Max();
            var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
            return [.. exp.Select(e => (float)(e / exp.Sum()))];
        }

        private static float[] Features(SKBitmap image)
        {
            using var small = image.Resize(new SKImageInfo(4, 4, SKColorType.Rgba8888), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            var px = small.GetPixelSpan().ToArray();
            return [.. Enumerable.Range(0, 16).SelectMany(i => new float[] { px[i * 4], px[i * 4 + 1], px[i * 4 + 2] })];
        }
    }

    [Fact]
    public async Task WriteAsync_RealEvaluation_PdfHasSectionsVersionsAndImages()
    {
        var photos = TestAssets.CarPhotos();
        var classes = photos.Select(p => Path.GetFileName(Path.GetDirectoryName(p))!).Distinct().Order(StringComparer.Ordinal).ToList();
        var labelled = photos.Select((p, i) => (Path: p, Class: classes.IndexOf(Path.GetFileName(Path.GetDirectoryName(p))!), Test: i % 5 == 0)).ToList();
        var bitmaps = labelled.ToDictionary(l => l.Path, l => SKBitmap.Decode(l.Path).Copy(SKColorType.Rgba8888));
        var model = new ThumbnailCentroids([.. labelled.Where(l => !l.Test).Select(l => (bitmaps[l.Path], l.Class))], classes.Count);
        var predictions = labelled.Where(l => l.Test).Select(l =>
        {
            var watch = Stopwatch.StartNew();
            var probabilities = model.Predict(bitmaps[l.Path]);
            return new Prediction(Sha256Hex.Of(File.ReadAllBytes(l.Path)), l.Class, probabilities, watch.Elapsed.TotalMilliseconds);
        }).ToList();
        var summary = EvaluationMetrics.Summarize("car-variants", 3, new string('a', 64), DateTimeOffset.UtcNow, Environment.MachineName, classes, predictions);
        var byId = labelled.ToDictionary(l => Sha256Hex.Of(File.ReadAllBytes(l.Path)), l => l.Path);
        var failures = summary.Failures.Take(3).Select(f =>
        {
            var image = bitmaps[byId[f.ImageId]];
            var heat = OcclusionSensitivity.Compute(image, classes.IndexOf(f.TrueClass), batch => [.. batch.Select(model.Predict)], steps: 5);
            using var overlay = OcclusionSensitivity.Overlay(image, heat);
            return new FailureExample(f, ImageDecoding.EncodePng(image), ImageDecoding.EncodePng(overlay));
        }).ToList();
        var report = new ModelReport
        {
            Skill = "car-variants",
            Version = 3,
            CodeVersion = "0123456789abcdef0123456789abcdef01234567",
            ConfigHash = new string('c', 64),
            ManifestId = new string('a', 64),
            BackboneSha256 = new string('b', 64),
            BackbonePath = "/models/backbone.onnx",
            Head = "thumbnail-centroids",
            CreatedAt = DateTimeOffset.UtcNow,
            ClassCounts = [.. classes.Select((c, i) => new ClassCount(c, labelled.Count(l => l.Class == i && !l.Test), labelled.Count(l => l.Class == i && l.Test)))],
            Sources = [("stanford-cars", photos.Count)],
            Evaluation = summary,
            Failures = failures,
            Gate = PromotionGate.Decide(summary, null, null, new GateSettings()),
        };
        using var dir = new TempDir("report");
        var pdf = dir.File("report.pdf");

        await PdfReportWriter.WriteAsync(report, pdf, CancellationToken.None);

        var text = ExternalTool.Run("pdftotext", "-layout", pdf, "-");
        foreach (var expected in new[] { "Model report: car-variants v3", "1. Versioning", "2. Data used", "3. Metrics", "4. Confusion matrix", "5. Failures", "6. Gate decision",
                     "0123456789abcdef0123456789abcdef01234567", "First promotion", "Largest class", "Calibration error", "tesla_model_s_sedan_2012" })
            Assert.Contains(expected, text);
        Assert.Contains($"{summary.Accuracy * 100:0.0}%", text);
        var listed = ExternalTool.Run("pdfimages", "-list", pdf).Split('\n').Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(c => c.Length > 8).ToList();
        var images = listed.Count(c => c[2] == "image");
        Assert.True(images >= 2 + 2 * failures.Count, $"expected charts and failure images, found {images}");
        // Legible pictures: stored losslessly, never as (low-quality) JPEG.
        Assert.All(listed, c => Assert.NotEqual("jpeg", c[8]));
        ExternalTool.Run("pdftoppm", "-png", "-r", "50", pdf, Path.Combine(dir.Path, "page"));
        var pages = Directory.GetFiles(dir.Path, "page*.png");
        Assert.True(pages.Length >= 3, $"{pages.Length} pages");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "report");
        Directory.CreateDirectory(screenshots);
        foreach (var page in pages) File.Copy(page, Path.Combine(screenshots, Path.GetFileName(page)), overwrite: true);
        File.Copy(pdf, Path.Combine(screenshots, "report.pdf"), overwrite: true);
        foreach (var b in bitmaps.Values) b.Dispose();
    }
}
