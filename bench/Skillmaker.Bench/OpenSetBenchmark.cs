using System.Globalization;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Bench;

/// <summary>Open-set rejection on the 13 car classes with a leave-classes-out protocol: in each fold 3
/// classes are left out of training (a seeded permutation of the classes, 5 folds, so every class is
/// unseen at least once); the head and the open-set scorer are fitted on the remaining classes' training
/// rows (examples/car-variants: originals and augmented copies), then known-class held-out images and every image of the unseen classes are scored. The threshold is
/// calibrated on every other known held-out image (as training calibrates on its test split) and the
/// rates are measured on the other known held-out images and on the unseen. Reports per method: AUROC (known held-out versus unseen), the share of known answered and of
/// unseen abstained at the calibrated thresholds for coverage 0.95 and 0.90, and the share of unseen
/// abstained when exactly 90% of the known held-out images are answered (oracle threshold on the
/// measured half, for comparison). The baseline is the softmax (1 − top probability). Each score is measured
/// on the embeddings as they are and as served (hflip TTA: the mean of the image's and its mirror's);
/// combinations sum their parts after standardising each on the calibration half. Arguments: [seed=20261123] [folds=5].</summary>
internal static class OpenSetBenchmark
{
    private const int LeftOut = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        var seed = args.Length > 0 && long.TryParse(args[0], out var s) ? s : 20261123;
        var folds = args.Length > 1 && int.TryParse(args[1], out var f) ? f : 5;
        var assets = BenchSupport.Assets();
        await using var temp = await BenchSupport.NewWorkspaceAsync("openset", seed, assets);
        await BenchSupport.IngestCarsAsync(temp.Line, assets);
        var env = temp.Line.Training;
        var skill = await SkillConfigLoader.LoadAsync(TrainBenchmark.FindExample(), env.Environment, CancellationToken.None);
        var training = temp.Line.Trainer();
        using var prepared = await training.PrepareAsync(skill, null, null, null, CancellationToken.None);
        var manifest = prepared.Manifest;
        var classes = manifest.Classes.ToList();
        var copies = skill.Config.Augmentations.CopiesPerImage;
        var steps = skill.Config.Augmentations.Steps ?? [];
        var trainItems = manifest.Items.Where(i => i.Split == Split.Train).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var testItems = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var (requests, rowLabels) = TrainingService.TrainingRows(trainItems, classes, copies, steps);
        var rowGroups = requests.Select(r => trainItems.FindIndex(t => t.ImageId == r.ImageId)).ToList();
        var rowOriginal = requests.Select(r => r.Copy == 0).ToList();
        var embedder = new Embedder(prepared.Backbone, prepared.BackboneSha256, env.EmbeddingCache, env.ReadImageAsync,
            new EmbedderOptions { BatchSize = 16, DecodeParallelism = prepared.Threads, AugmentationSteps = copies > 0 ? steps : null, Seed = env.Workspace.Config.Seed });
        var (trainVectors, _) = await embedder.EmbedAsync(requests, null, CancellationToken.None);
        var (testVectors, _) = await embedder.EmbedAsync([.. testItems.Select(t => new EmbeddingRequest(t.ImageId))], null, CancellationToken.None);
        var testLabels = testItems.Select(t => classes.IndexOf(t.Class)).ToList();
        var originalsByClass = Enumerable.Range(0, trainVectors.Length).Where(i => rowOriginal[i]).Select(i => (Vector: trainVectors[i], Label: rowLabels[i]))
            .Concat(testVectors.Select((v, i) => (Vector: v, Label: testLabels[i]))).ToList();

        // As served (network.testTime hflip): each scored image is the mean of its embedding and its mirror's.
        var flipper = new Embedder(prepared.Backbone, prepared.BackboneSha256, env.EmbeddingCache, env.ReadImageAsync,
            new EmbedderOptions { BatchSize = 16, DecodeParallelism = prepared.Threads, AugmentationSteps = [new Augmentation.AugmentationStep { Op = "hflip", P = 1 }], Seed = 0 });
        var (trainFlipped, _) = await flipper.EmbedAsync([.. trainItems.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, CancellationToken.None);
        var (testFlipped, _) = await flipper.EmbedAsync([.. testItems.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, CancellationToken.None);
        static float[] Mean(float[] a, float[] b) => [.. a.Zip(b, (x, y) => (x + y) / 2)];
        var testTta = testVectors.Select((v, i) => Mean(v, testFlipped[i])).ToList();
        var originalsTta = Enumerable.Range(0, trainVectors.Length).Where(i => rowOriginal[i]).Select(i => (Vector: Mean(trainVectors[i], trainFlipped[rowGroups[i]]), Label: rowLabels[i]))
            .Concat(testTta.Select((v, i) => (Vector: v, Label: testLabels[i]))).ToList();

        var permutation = Enumerable.Range(0, classes.Count).ToArray();
        new Random(unchecked((int)seed)).Shuffle(permutation);
        // Each method is fitted on the known classes' training rows (and the head trained on them) and gives one
        // or more score parts per image; several parts are summed after standardising each on the calibration half.
        var methods = new List<(string Name, bool Tta, Func<List<float[]>, List<int>, int, IHead, Func<IReadOnlyList<float[]>, float[][]>> Fit)>();
        static Func<IReadOnlyList<float[]>, float[]> Relative(List<float[]> f, List<int> l, int c, double a)
        {
            var classwise = OpenSetScorer.Fit("mahalanobis", f, l, c, 0, a);
            var background = OpenSetScorer.Fit("mahalanobis", f, [.. l.Select(_ => 0)], 1, 0, a);
            return x => [.. classwise.Score(x).Zip(background.Score(x), (m, b) => m - b)];
        }
        static float[] Softmax(IHead head, IReadOnlyList<float[]> x) => [.. head.Predict(x).Select(p => 1 - p.Max())];
        foreach (var tta in new[] { false, true })
        {
            var t = tta ? ", TTA" : "";
            methods.Add(($"softmax (1 - top p){t}", tta, (_, _, _, head) => x => [Softmax(head, x)]));
            methods.Add(($"knn k=5{t}", tta, (f, l, c, _) => { var s = OpenSetScorer.Fit("knn", f, l, c, 5); return x => [s.Score(x)]; }));
            methods.Add(($"mahalanobis a=0.8{t}", tta, (f, l, c, _) => { var s = OpenSetScorer.Fit("mahalanobis", f, l, c, 0, 0.8); return x => [s.Score(x)]; }));
            foreach (var a in tta ? new[] { 0.5, 0.8, 0.95 } : [0.8])
                methods.Add(($"relative mahalanobis a={a}{t}", tta, (f, l, c, _) => { var s = Relative(f, l, c, a); return x => [s(x)]; }));
            if (!tta) continue;
            methods.Add(("lda energy a=0.5, TTA", tta, (f, l, c, _) =>
            {
                var lda = (LdaHead)HeadFactory.Train(new HeadSpec { Type = "lda" }, new HeadTrainingData(f, l, c), 1).Head;
                return x => [[.. lda.Logits(x).Select(g => { var m = g.Max(); return -(m + MathF.Log(g.Sum(v => MathF.Exp(v - m)))); })]];
            }));
            methods.Add(("mahalanobis + softmax, TTA", tta, (f, l, c, head) => { var s = OpenSetScorer.Fit("mahalanobis", f, l, c, 0, 0.8); return x => [s.Score(x), Softmax(head, x)]; }));
            methods.Add(("rel. mahalanobis + softmax, TTA", tta, (f, l, c, head) => { var s = Relative(f, l, c, 0.8); return x => [s(x), Softmax(head, x)]; }));
            methods.Add(("rel. maha + knn, TTA", tta, (f, l, c, _) => { var s = Relative(f, l, c, 0.8); var k = OpenSetScorer.Fit("knn", f, l, c, 5); return x => [s(x), k.Score(x)]; }));
        }
        var results = methods.ToDictionary(m => m.Name, _ => new List<FoldResult>());
        Console.WriteLine($"open-set benchmark: {TrainBenchmark.FindExample()}, workspace seed {seed}, {folds} folds, {LeftOut} of {classes.Count} classes unseen per fold");
        for (var fold = 0; fold < folds; fold++)
        {
            var unseen = Enumerable.Range(0, LeftOut).Select(j => permutation[(fold * LeftOut + j) % classes.Count]).ToHashSet();
            var known = Enumerable.Range(0, classes.Count).Where(c => !unseen.Contains(c)).ToList();
            int Map(int c) => known.IndexOf(c);
            var rows = Enumerable.Range(0, trainVectors.Length).Where(i => !unseen.Contains(rowLabels[i])).ToList();
            var features = rows.Select(i => trainVectors[i]).ToList();
            var labels = rows.Select(i => Map(rowLabels[i])).ToList();
            var head = HeadFactory.Train(skill.Config.Network.Head, new HeadTrainingData(features, labels, known.Count, Groups: [.. rows.Select(i => rowGroups[i])]), 1).Head;
            Console.WriteLine($"  fold {fold + 1}: unseen {string.Join(", ", unseen.Select(c => classes[c]))}; {rows.Count} training rows, {testVectors.Count(v => true) - testLabels.Count(unseen.Contains)} known held-out, {originalsByClass.Count(o => unseen.Contains(o.Label))} unseen images");
            foreach (var (name, tta, fit) in methods)
            {
                var knownTest = (tta ? testTta : [.. testVectors]).Where((_, i) => !unseen.Contains(testLabels[i])).ToList();
                var unseenAll = (tta ? originalsTta : originalsByClass).Where(o => unseen.Contains(o.Label)).Select(o => o.Vector).ToList();
                var score = fit(features, labels, known.Count, head);
                var knownParts = score(knownTest);
                var unseenParts = score(unseenAll);
                // Calibrate on every other known held-out image; measure on the rest and on the unseen.
                float[] Sum(float[][] parts) => parts.Length == 1 ? parts[0]
                    : [.. Enumerable.Range(0, parts[0].Length).Select(i => parts.Select((p, j) => Standardise(p[i], knownParts[j].Where((_, k) => k % 2 == 0).ToArray())).Sum())];
                var knownScores = Sum(knownParts);
                var unseenScores = Sum(unseenParts);
                var calibration = knownScores.Where((_, i) => i % 2 == 0).ToArray();
                var measured = knownScores.Where((_, i) => i % 2 == 1).ToArray();
                float? t95 = OpenSetScorer.Threshold(calibration, 0.95), t90 = OpenSetScorer.Threshold(calibration, 0.90);
                knownScores = measured;
                var oracle90 = OpenSetScorer.Threshold(knownScores, 0.90);
                results[name].Add(new FoldResult(
                    Auroc(knownScores, unseenScores),
                    Answered(knownScores, t95.Value), 1 - Answered(unseenScores, t95.Value),
                    Answered(knownScores, t90.Value), 1 - Answered(unseenScores, t90.Value),
                    1 - Answered(unseenScores, oracle90)));
            }
        }
        Console.WriteLine($"  mean over {folds} folds (min-max)       AUROC              | coverage 0.95: known answered, unseen abstained | coverage 0.90: known answered, unseen abstained | unseen abstained at 90% known answered (oracle)");
        foreach (var (name, list) in results)
        {
            string M(Func<FoldResult, double> pick) => list.Select(pick).All(double.IsNaN) ? "   -             "
                : string.Create(CultureInfo.InvariantCulture, $"{list.Average(pick):F3} ({list.Min(pick):F2}-{list.Max(pick):F2})");
            Console.WriteLine($"  {name,-24} {M(r => r.Auroc),-20} | {M(r => r.Known95),-20} {M(r => r.Unseen95),-20} | {M(r => r.Known90),-20} {M(r => r.Unseen90),-20} | {M(r => r.UnseenAtOracle90)}");
        }
        return 0;
    }

    private sealed record FoldResult(double Auroc, double Known95, double Unseen95, double Known90, double Unseen90, double UnseenAtOracle90);

    private static float Standardise(float value, float[] reference)
    {
        var mean = reference.Average();
        var sd = Math.Sqrt(reference.Average(v => (v - mean) * (v - mean))) + 1e-9;
        return (float)((value - mean) / sd);
    }

    private static double Answered(float[] scores, float threshold) => scores.Count(x => x <= threshold) / (double)scores.Length;

    /// <summary>P(unseen score &gt; known score), ties counted half.</summary>
    internal static double Auroc(IReadOnlyList<float> known, IReadOnlyList<float> unseen)
    {
        double wins = 0;
        foreach (var u in unseen)
            foreach (var k in known)
                wins += u > k ? 1 : u == k ? 0.5 : 0;
        return wins / ((double)known.Count * unseen.Count);
    }
}
