using System.Globalization;
using SkiaSharp;
using Skillmaker.Catalog;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Vision.Explain;
using Skillmaker.Vision.Imaging;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Reports;

/// <summary>Gathers what a model report shows from a package, its evaluation, its manifest and the
/// catalog, including a gallery of the most confident mistakes with occlusion-sensitivity heat maps
/// computed with the skill itself.</summary>
public sealed class ReportBuilder(ICatalog catalog, Func<string, CancellationToken, Task<byte[]>> readImage, TimeProvider time)
{
    /// <summary>Failures shown in the gallery (each costs steps² + 1 predictions). Default 4.</summary>
    public int GalleryFailures { get; init; } = 4;

    /// <summary>Occluder positions per side. Default 6.</summary>
    public int OcclusionSteps { get; init; } = 6;

    public async Task<ModelReport> BuildAsync(SkillPredictor predictor, EvaluationSummary evaluation, DatasetManifest manifest, GateDecision? gate, CancellationToken cancellationToken)
    {
        var info = predictor.Package.Info;
        var failures = new List<FailureExample>();
        foreach (var failure in evaluation.Failures.Take(GalleryFailures))
            failures.Add(await ExplainAsync(predictor, failure, cancellationToken));
        return new ModelReport
        {
            Skill = info.Name,
            Version = info.Version,
            CodeVersion = info.CodeVersion,
            ConfigHash = info.ConfigHash,
            ManifestId = info.ManifestId,
            BackboneSha256 = info.Backbone.Sha256,
            BackbonePath = info.Backbone.Path,
            Head = $"{info.Head.Type} ({string.Join(", ", info.Head.Params.EnumerateObject().Select(p => $"{p.Name} {p.Value.GetRawText()}"))}); " +
                   $"{info.Training.TrainExamples} training rows ({info.Training.TrainImages} images, each with {info.Training.CopiesPerImage} augmented cop{(info.Training.CopiesPerImage == 1 ? "y" : "ies")})",
            CreatedAt = time.GetUtcNow(),
            ClassCounts = manifest.CountsAfter,
            Sources = await SourcesAsync(manifest, cancellationToken),
            Evaluation = evaluation,
            Failures = failures,
            Gate = gate,
        };
    }

    /// <summary>One failure with where the skill looked: the image (longest side 320 px) and the same image with the
    /// occlusion-sensitivity heat map of its true class laid over it, both PNG. Costs <see cref="OcclusionSteps"/>² + 1
    /// predictions. The report's gallery and the dashboard's failures both come from here.</summary>
    public async Task<FailureExample> ExplainAsync(SkillPredictor predictor, Failure failure, CancellationToken cancellationToken)
    {
        using var image = ImageDecoding.DecodeOriented(await readImage(failure.ImageId, cancellationToken), $"image {failure.ImageId}");
        using var small = Shrink(image, 320);
        var trueIndex = IndexOf(predictor.Package.Info.Labels, failure.TrueClass);
        var heat = OcclusionSensitivity.Compute(small, trueIndex, batch => predictor.ProbabilitiesBatch(batch), OcclusionSteps);
        using var overlay = OcclusionSensitivity.Overlay(small, heat);
        return new FailureExample(failure, ImageDecoding.EncodePng(small), ImageDecoding.EncodePng(overlay));
    }

    public static async Task WritePdfAsync(ModelReport report, string path, CancellationToken cancellationToken) =>
        await PdfReportWriter.WriteAsync(report, path, cancellationToken);

    /// <summary>Images per source (for a crop, its photo's sources).</summary>
    private async Task<IReadOnlyList<(string Source, int Images)>> SourcesAsync(DatasetManifest manifest, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in manifest.Items)
        {
            var details = await catalog.GetImageAsync(item.ParentId ?? item.ImageId, cancellationToken);
            foreach (var source in details?.Occurrences.Select(o => o.Source).Distinct() ?? [])
                counts[source] = counts.GetValueOrDefault(source) + 1;
        }
        return [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value))];
    }

    private static SKBitmap Shrink(SKBitmap image, int longest)
    {
        var scale = Math.Min(1.0, longest / (double)Math.Max(image.Width, image.Height));
        var info = new SKImageInfo(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale)), SKColorType.Rgba8888, SKAlphaType.Premul);
        return image.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }

    private static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (var i = 0; i < labels.Count; i++) if (labels[i] == label) return i;
        throw new Common.SkillmakerException(string.Create(CultureInfo.InvariantCulture, $"The skill has no label '{label}'."));
    }
}
