using System.Diagnostics;
using System.Text.Json;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Bench;

/// <summary>Training on the 13-class car photos with examples/car-variants (the config chosen by
/// cross-validation on the training split only): cold train (embeddings computed), warm retrain (all
/// from the cache), the time to train each head type on the same cached embeddings, and the held-out
/// quality of each (targets for logistic: top-1 ≥ 0.55, top-3 ≥ 0.80; reported, never tuned on).
/// Arguments: [seed=20261123].</summary>
internal static class TrainBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seed = args.Length > 0 && long.TryParse(args[0], out var s) ? s : 20261123;
        // --levers-only: one training, then only the levers (skips the warm retrain and the head comparison).
        var leversOnly = args.Contains("--levers-only");
        var assets = BenchSupport.Assets();
        await using var temp = await BenchSupport.NewWorkspaceAsync("train", seed, assets);
        {
            await BenchSupport.IngestCarsAsync(temp.Line, assets);
            var env = temp.Line.Training;
            var example = FindExample();
            var skill = await SkillConfigLoader.LoadAsync(example, env.Environment, CancellationToken.None);
            var training = temp.Line.Trainer();

            var cold = await TrainOnceAsync(training, skill);
            var warm = leversOnly ? cold : await TrainOnceAsync(training, skill);
            Console.WriteLine($"train benchmark: {example}, {Environment.ProcessorCount} cores, workspace seed {seed}");
            Console.WriteLine($"  manifest {cold.Package.ManifestId[..12]}: {cold.Package.Training.TrainImages} train images x {1 + cold.Package.Training.CopiesPerImage} rows, {cold.Package.Metrics.TestImages} test images, 13 classes");
            foreach (var (name, r) in new[] { ("cold", cold), ("warm", warm) })
                Console.WriteLine($"  {name} train: total {r.TotalSeconds,6:F1} s = embeddings {r.Embeddings.Seconds,5:F1} s ({r.Embeddings.Computed} computed, {r.Embeddings.CacheHits} cached, {r.Embeddings.BackboneRuns} backbone runs)" +
                                  $" + head {r.HeadSeconds,4:F1} s + evaluation {r.EvaluationSeconds,4:F1} s + report {r.ReportSeconds,4:F1} s");
            Console.WriteLine($"  heads identical across the two runs: {File.ReadAllBytes(Path.Combine(cold.Directory, cold.Package.Head.File)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(warm.Directory, warm.Package.Head.File)))}");
            var m = cold.Package.Metrics;
            Console.WriteLine($"  logistic package on the held-out split: top-1 {m.Accuracy:F3} (target >= 0.55), top-3 {m.TopK[2]:F3} (target >= 0.80), balanced {m.BalancedAccuracy:F3}, p50 {m.LatencyP50Ms:F1} ms, p95 {m.LatencyP95Ms:F1} ms per image");

            // Every head type on the same cached embeddings (originals and augmented copies).
            var manifest = (await env.Datasets.GetManifestAsync(cold.Package.ManifestId, CancellationToken.None))!;
            var (train, labels, test, testLabels) = await EmbeddingsAsync(env, skill, cold.Package, manifest);
            Console.WriteLine($"  head training on {train.Count} cached embeddings (one thread each), scored on {test.Count} held-out images:");
            foreach (var (type, parameters) in leversOnly ? [] : new[] { ("logistic", "{}"), ("logistic", """{"trainer":"sdca"}"""), ("lightgbm", "{}"), ("knn", "{}"), ("linear-svm", "{}"), ("naive-bayes", "{}"), ("naive-bayes", """{"varSmoothing":0.1}"""), ("naive-bayes", """{"varSmoothing":0.001}""") })
            {
                var spec = new HeadSpec { Type = type, Params = JsonDocument.Parse(parameters).RootElement };
                var watch = Stopwatch.StartNew();
                var head = HeadFactory.Train(spec, new HeadTrainingData(train, labels, manifest.Classes.Count), 1).Head;
                var seconds = watch.Elapsed.TotalSeconds;
                var p = head.Predict(test);
                var ranks = test.Select((_, i) => 1 + p[i].Count(x => x > p[i][testLabels[i]])).ToList();
                Console.WriteLine($"    {type + (parameters == "{}" ? "" : " " + parameters),-28} {seconds,6:F2} s   top-1 {ranks.Count(r => r == 1) / (double)ranks.Count:F3}  top-3 {ranks.Count(r => r <= 3) / (double)ranks.Count:F3}");
            }
            await LeversAsync(env, skill, cold.Package, manifest, train, labels, test, testLabels);
            return 0;
        }
    }

    /// <summary>Cheap accuracy levers on the logistic head, each on and off on the same cached embeddings:
    /// horizontal-flip test-time augmentation (the mean of the embeddings of the image and its mirror),
    /// L2-normalising embeddings before the head, and the L2 regularisation chosen by 5-fold
    /// cross-validation on the training images (grouped: an image's copies stay in its fold).</summary>
    private static async Task LeversAsync(TrainingEnvironment env, LoadedSkillConfig skill, SkillPackageInfo package, DatasetManifest manifest,
        List<float[]> train, List<int> labels, List<float[]> test, List<int> testLabels)
    {
        using var backbone = Backbone.Open(skill.BackbonePath, skill.Config.Network.Backbone, Environment.ProcessorCount);
        var flipper = new Embedder(backbone, package.Backbone.Sha256, env.EmbeddingCache, env.ReadImageAsync,
            new EmbedderOptions { AugmentationSteps = [new Augmentation.AugmentationStep { Op = "hflip", P = 1 }], Seed = 0, DecodeParallelism = Environment.ProcessorCount });
        var testItems = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var (flipped, _) = await flipper.EmbedAsync([.. testItems.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, CancellationToken.None);
        var tta = test.Select((v, i) => v.Zip(flipped[i], (a, b) => (a + b) / 2).ToArray()).ToList();
        static float[] Unit(float[] v) { var n = MathF.Sqrt(v.Sum(x => x * x)); return n > 0 ? [.. v.Select(x => x / n)] : v; }
        (double Top1, double Top3) Score(IReadOnlyList<float[]> rows, IReadOnlyList<float[]> queries, double l2)
        {
            var spec = new HeadSpec { Type = "logistic", Params = JsonDocument.Parse($$"""{"l2":{{l2.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""").RootElement };
            var head = HeadFactory.Train(spec, new HeadTrainingData(rows, labels, manifest.Classes.Count), 1).Head;
            var p = head.Predict(queries);
            var ranks = queries.Select((_, i) => 1 + p[i].Count(x => x > p[i][testLabels[i]])).ToList();
            return (ranks.Count(r => r == 1) / (double)ranks.Count, ranks.Count(r => r <= 3) / (double)ranks.Count);
        }
        var unitTrain = train.Select(Unit).ToList();
        Console.WriteLine("  levers (logistic head, same embeddings, held-out split):");
        foreach (var (name, rows, queries) in new[]
        {
            ("baseline (l2 1)", train, test), ("hflip TTA", train, tta),
            ("L2-normalised embeddings", unitTrain, test.Select(Unit).ToList()), ("L2-normalised + hflip TTA", unitTrain, tta.Select(Unit).ToList()),
        })
        {
            var (top1, top3) = Score(rows, queries, 1);
            Console.WriteLine($"    {name,-30} top-1 {top1:F3}  top-3 {top3:F3}");
        }
        // Regularisation by 5-fold cross-validation on the training rows, grouped by image.
        var copies = 1 + package.Training.CopiesPerImage;
        var candidates = new[] { 0.1, 0.3, 1, 3, 10 };
        var cv = candidates.ToDictionary(c => c, c =>
        {
            var correct = 0; var total = 0;
            for (var f = 0; f < 5; f++)
            {
                var fit = Enumerable.Range(0, train.Count).Where(i => i / copies % 5 != f).ToList();
                var held = Enumerable.Range(0, train.Count).Where(i => i / copies % 5 == f && i % copies == 0).ToList();
                var spec = new HeadSpec { Type = "logistic", Params = JsonDocument.Parse($$"""{"l2":{{c.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""").RootElement };
                var head = HeadFactory.Train(spec, new HeadTrainingData([.. fit.Select(i => train[i])], [.. fit.Select(i => labels[i])], manifest.Classes.Count), 1).Head;
                var p = head.Predict([.. held.Select(i => train[i])]);
                correct += held.Where((i, k) => Array.IndexOf(p[k], p[k].Max()) == labels[i]).Count();
                total += held.Count;
            }
            return correct / (double)total;
        });
        var chosen = cv.MaxBy(kv => kv.Value).Key;
        var (c1, c3) = Score(train, test, chosen);
        Console.WriteLine($"    regularisation by 5-fold CV: {string.Join(", ", cv.Select(kv => $"l2 {kv.Key} cv {kv.Value:F3}"))} -> l2 {chosen}: held-out top-1 {c1:F3}  top-3 {c3:F3}");
    }

    internal static async Task<TrainResult> TrainOnceAsync(TrainingService training, LoadedSkillConfig skill)
    {
        using var prepared = await training.PrepareAsync(skill, null, null, null, CancellationToken.None);
        return await training.TrainAsync(prepared, null, CancellationToken.None);
    }

    private static async Task<(List<float[]>, List<int>, List<float[]>, List<int>)> EmbeddingsAsync(TrainingEnvironment env, LoadedSkillConfig skill, SkillPackageInfo package, DatasetManifest manifest)
    {
        using var backbone = Backbone.Open(skill.BackbonePath, skill.Config.Network.Backbone, 1);
        var embedder = new Embedder(backbone, package.Backbone.Sha256, env.EmbeddingCache, env.ReadImageAsync,
            new EmbedderOptions { AugmentationSteps = package.Training.AugmentationSteps, Seed = package.Training.Seed });
        var classes = manifest.Classes.ToList();
        var trainItems = manifest.Items.Where(i => i.Split == Split.Train).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var testItems = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var (requests, labels) = TrainingService.TrainingRows(trainItems, classes, package.Training.CopiesPerImage, package.Training.AugmentationSteps);
        var (train, stats) = await embedder.EmbedAsync(requests, null, CancellationToken.None);
        var (test, _) = await embedder.EmbedAsync([.. testItems.Select(t => new EmbeddingRequest(t.ImageId))], null, CancellationToken.None);
        if (stats.Computed > 0) throw new InvalidOperationException($"{stats.Computed} embeddings were not cached; the training requests differ from the bench's");
        return ([.. train], labels, [.. test], [.. testItems.Select(t => classes.IndexOf(t.Class))]);
    }

    internal static string FindExample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", "car-variants", "car-variants.skill.json");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("examples/car-variants/car-variants.skill.json not found above the bench binary.");
    }
}
