using System.Runtime.InteropServices;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Vision.Imaging;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Training;

/// <summary>Runs skills on a manifest's test split the way they will be served: one decoded image at a
/// time through preprocessing, backbone and head, timing each call on this machine. Several skills are
/// measured interleaved (image by image, alternating which goes first), so a comparison between them
/// sees the same machine load.</summary>
public sealed class Evaluator(Func<string, CancellationToken, Task<byte[]>> readImage, TimeProvider time)
{
    /// <summary>How this machine is named in evaluations: latency is only comparable on the same one.</summary>
    public static string Machine => $"{Environment.MachineName} ({Environment.ProcessorCount} cpu, {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})";

    public async Task<IReadOnlyList<EvaluationSummary>> EvaluateAsync(IReadOnlyList<SkillPredictor> predictors, DatasetManifest manifest, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        foreach (var p in predictors) CheckClasses(p, manifest);
        var test = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        if (test.Count == 0)
            throw new SkillmakerException($"Manifest {manifest.Id[..12]} has no test images, so nothing can be evaluated; extract with a larger testFraction.");

        var predictions = predictors.Select(_ => new List<Prediction>(test.Count)).ToList();
        for (var i = 0; i < test.Count; i++)
        {
            using var image = ImageDecoding.DecodeOriented(await readImage(test[i].ImageId, cancellationToken).ConfigureAwait(false), $"image {test[i].ImageId}");
            // The first call of a session allocates and tunes; it is not what a client waits for.
            if (i == 0) foreach (var p in predictors) p.Probabilities(image);
            for (var k = 0; k < predictors.Count; k++)
            {
                var which = i % 2 == 0 ? k : predictors.Count - 1 - k;
                var predictor = predictors[which];
                var started = time.GetTimestamp();
                var probabilities = predictor.Probabilities(image);
                var elapsed = time.GetElapsedTime(started);
                predictions[which].Add(new Prediction(test[i].ImageId, IndexOf(predictor, test[i].Class), probabilities, elapsed.TotalMilliseconds));
            }
            progress?.Report((i + 1, test.Count));
            cancellationToken.ThrowIfCancellationRequested();
        }
        var at = time.GetUtcNow();
        return [.. predictors.Select((p, k) => EvaluationMetrics.Summarize(p.Package.Name, p.Package.Version, manifest.Id, at, Machine, p.Package.Labels, predictions[k]))];
    }

    /// <summary>Every class of the test data must be one the skill can answer.</summary>
    public static void CheckClasses(SkillPredictor predictor, DatasetManifest manifest)
    {
        var unknown = manifest.Classes.Where(c => !predictor.Package.Labels.Contains(c)).ToList();
        if (unknown.Count > 0)
            throw new SkillmakerException(
                $"Manifest {manifest.Id[..12]} has classes {predictor.Package.Name} v{predictor.Package.Version} does not know: {string.Join(", ", unknown)}. " +
                $"The skill's labels: {string.Join(", ", predictor.Package.Labels)}. Evaluate on a manifest of the same classes.");
    }

    private static int IndexOf(SkillPredictor predictor, string label)
    {
        for (var i = 0; i < predictor.Package.Labels.Count; i++)
            if (predictor.Package.Labels[i] == label) return i;
        throw new SkillmakerException($"{predictor.Package.Name} has no label '{label}'.");
    }
}
