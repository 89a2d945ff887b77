using System.Runtime.InteropServices;
using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Vision.Imaging;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Evaluation;

/// <summary>Runs skills on a manifest's test split the way they will be served: one decoded image at a
/// time through preprocessing, backbone and head, timing each call on this machine. Several skills are
/// measured interleaved (image by image, alternating which goes first), so a comparison between them
/// sees the same machine load. On a small test split each image is timed <see cref="SmallSplitRounds"/>
/// times and its latency is the median: with few images, p95 is one or two calls, and one scheduler
/// hiccup on a busy machine would otherwise decide the latency gate.</summary>
public sealed class Evaluator(Func<string, CancellationToken, Task<byte[]>> readImage, TimeProvider time)
{
    /// <summary>Below this many test images each is timed several times.</summary>
    public const int SmallSplit = 200;

    /// <summary>Timed calls per image on a small split (odd, so the median is one of them).</summary>
    public const int SmallSplitRounds = 3;

    /// <summary>How this machine is named in evaluations: latency is only comparable on the same one.</summary>
    public static string Machine => $"{Environment.MachineName} ({Environment.ProcessorCount} cpu, {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})";

    public async Task<IReadOnlyList<EvaluationSummary>> EvaluateAsync(IReadOnlyList<SkillPredictor> predictors, DatasetManifest manifest, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken) =>
        [.. (await MeasureAsync(predictors, manifest, progress, cancellationToken)).Select(m => m.Summary)];

    /// <summary>Like <see cref="EvaluateAsync"/>, keeping every item's prediction (what a paired comparison needs).</summary>
    public async Task<IReadOnlyList<MeasuredVersion>> MeasureAsync(IReadOnlyList<SkillPredictor> predictors, DatasetManifest manifest, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        foreach (var p in predictors) CheckClasses(p, manifest);
        var test = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        if (test.Count == 0)
            throw new SkillmakerException($"Manifest {manifest.Id[..12]} has no test images, so nothing can be evaluated; extract with a larger testFraction.");

        var predictions = predictors.Select(_ => new List<Prediction>(test.Count)).ToList();
        var rounds = test.Count < SmallSplit ? SmallSplitRounds : 1;
        for (var i = 0; i < test.Count; i++)
        {
            using var image = ImageDecoding.DecodeOriented(await readImage(test[i].ImageId, cancellationToken), $"image {test[i].ImageId}");
            var (answers, latencies) = Time(predictors, image, i, rounds);
            for (var k = 0; k < predictors.Count; k++)
                predictions[k].Add(new Prediction(test[i].ImageId, IndexOf(predictors[k], test[i].Class), answers[k], latencies[k]));
            progress?.Report((i + 1, test.Count));
            cancellationToken.ThrowIfCancellationRequested();
        }
        var at = time.GetUtcNow();
        return [.. predictors.Select((p, k) => new MeasuredVersion(
            EvaluationMetrics.Summarize(p.Package.Name, p.Package.Version, manifest.Id, at, Machine, p.Package.Labels, predictions[k]), p.Package.Labels, predictions[k]))];
    }

    /// <summary>Median and 95th percentile latency (ms) of <paramref name="predictor"/> on these images, each
    /// timed <see cref="SmallSplitRounds"/> times after one warm-up call: latency without a test split.</summary>
    public async Task<(double P50, double P95)> TimeAsync(SkillPredictor predictor, IReadOnlyList<string> imageIds, CancellationToken cancellationToken)
    {
        var timings = new double[imageIds.Count];
        for (var i = 0; i < imageIds.Count; i++)
        {
            using var image = ImageDecoding.DecodeOriented(await readImage(imageIds[i], cancellationToken), $"image {imageIds[i]}");
            timings[i] = Time([predictor], image, i, SmallSplitRounds).Latencies[0];
            cancellationToken.ThrowIfCancellationRequested();
        }
        Array.Sort(timings);
        return timings.Length == 0 ? (0, 0) : (EvaluationMetrics.Percentile(timings, 0.5), EvaluationMetrics.Percentile(timings, 0.95));
    }

    /// <summary>The one timing loop of <see cref="MeasureAsync"/> and <see cref="TimeAsync"/>: on the first
    /// image (<paramref name="index"/> 0) every predictor gets an untimed warm-up call (a session's first call
    /// allocates and tunes; it is not what a client waits for); then <paramref name="rounds"/> rounds, each
    /// calling every predictor once, alternating which goes first; each predictor's latency is its median
    /// round (rounds is odd, so one of them).</summary>
    private (float[][] Answers, double[] Latencies) Time(IReadOnlyList<SkillPredictor> predictors, SKBitmap image, int index, int rounds)
    {
        if (index == 0) foreach (var p in predictors) p.Probabilities(image);
        var timings = new double[predictors.Count, rounds];
        var answers = new float[predictors.Count][];
        for (var round = 0; round < rounds; round++)
            for (var k = 0; k < predictors.Count; k++)
            {
                var which = (index + round) % 2 == 0 ? k : predictors.Count - 1 - k;
                var started = time.GetTimestamp();
                answers[which] = predictors[which].Probabilities(image);
                timings[which, round] = time.GetElapsedTime(started).TotalMilliseconds;
            }
        var latencies = new double[predictors.Count];
        for (var k = 0; k < predictors.Count; k++)
            latencies[k] = Enumerable.Range(0, rounds).Select(r => timings[k, r]).Order().ElementAt(rounds / 2);
        return (answers, latencies);
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

/// <summary>One version's evaluation with the per-item predictions it was computed from.</summary>
public sealed record MeasuredVersion(EvaluationSummary Summary, IReadOnlyList<string> Labels, IReadOnlyList<Prediction> Predictions);
