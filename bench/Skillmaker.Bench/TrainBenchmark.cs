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
        var assets = BenchSupport.Assets();
        await using var temp = await BenchSupport.NewWorkspaceAsync("train", seed, assets);
        {
            await BenchSupport.IngestCarsAsync(temp.Line, assets);
            var env = temp.Line.Training;
            var example = FindExample();
            var skill = await SkillConfigLoader.LoadAsync(example, env.Environment, CancellationToken.None);
            var training = temp.Line.Trainer();

            var cold = await TrainOnceAsync(training, skill);
            var warm = await TrainOnceAsync(training, skill);
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
            foreach (var (type, parameters) in new[] { ("logistic", "{}"), ("logistic", """{"trainer":"sdca"}"""), ("lightgbm", "{}"), ("knn", "{}"), ("linear-svm", "{}"), ("naive-bayes", "{}"), ("naive-bayes", """{"varSmoothing":0.1}"""), ("naive-bayes", """{"varSmoothing":0.001}""") })
            {
                var spec = new HeadSpec { Type = type, Params = JsonDocument.Parse(parameters).RootElement };
                var watch = Stopwatch.StartNew();
                var head = HeadFactory.Train(spec, new HeadTrainingData(train, labels, manifest.Classes.Count), 1).Head;
                var seconds = watch.Elapsed.TotalSeconds;
                var p = head.Predict(test);
                var ranks = test.Select((_, i) => 1 + p[i].Count(x => x > p[i][testLabels[i]])).ToList();
                Console.WriteLine($"    {type + (parameters == "{}" ? "" : " " + parameters),-28} {seconds,6:F2} s   top-1 {ranks.Count(r => r == 1) / (double)ranks.Count:F3}  top-3 {ranks.Count(r => r <= 3) / (double)ranks.Count:F3}");
            }
            return 0;
        }
    }

    private static async Task<TrainResult> TrainOnceAsync(TrainingService training, LoadedSkillConfig skill)
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
