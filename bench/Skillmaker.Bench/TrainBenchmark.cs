using System.Diagnostics;
using System.Text.Json;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Bench;

/// <summary>Training on the 13-class car photos with examples/car-variants (lda head, hflip TTA): cold
/// train (embeddings computed), warm retrain (all from the cache), the package's held-out quality as served
/// (issue 18 goals: top-1 ≥ 0.68, top-3 ≥ 0.90), the time and held-out quality of each head type on the same
/// cached embeddings, and the accuracy levers, each chosen by cross-validation on the training split and
/// reported on the held-out split (never tuned on). Arguments: [seed=20261123] [--levers-only].</summary>
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
            Console.WriteLine($"  {cold.Package.Head.Type} package on the held-out split (as served, test time {cold.Package.TestTime}): top-1 {m.Accuracy:F3} (goal >= 0.68), top-3 {m.TopK[2]:F3} (goal >= 0.90), balanced {m.BalancedAccuracy:F3}, p50 {m.LatencyP50Ms:F1} ms, p95 {m.LatencyP95Ms:F1} ms per image");

            // Every head type on the same cached embeddings (originals and augmented copies).
            var manifest = (await env.Datasets.GetManifestAsync(cold.Package.ManifestId, CancellationToken.None))!;
            var (train, labels, test, testLabels) = await EmbeddingsAsync(env, skill, cold.Package, manifest);
            Console.WriteLine($"  head training on {train.Count} cached embeddings (one thread each), scored on {test.Count} held-out images:");
            foreach (var (type, parameters) in leversOnly ? [] : new[] { ("logistic", "{}"), ("logistic", """{"trainer":"sdca"}"""), ("lightgbm", "{}"), ("knn", "{}"), ("linear-svm", "{}"), ("naive-bayes", "{}"), ("naive-bayes", """{"varSmoothing":0.1}"""), ("naive-bayes", """{"varSmoothing":0.001}"""), ("lda", "{}"), ("lda", """{"shrinkage":0.5}""") })
            {
                var spec = new HeadSpec { Type = type, Params = JsonDocument.Parse(parameters).RootElement };
                var watch = Stopwatch.StartNew();
                var head = HeadFactory.Train(spec, new HeadTrainingData(train, labels, manifest.Classes.Count, Groups: [.. train.Select((_, i) => i / (1 + cold.Package.Training.CopiesPerImage))]), 1).Head;
                var seconds = watch.Elapsed.TotalSeconds;
                var p = head.Predict(test);
                var ranks = test.Select((_, i) => 1 + p[i].Count(x => x > p[i][testLabels[i]])).ToList();
                Console.WriteLine($"    {type + (parameters == "{}" ? "" : " " + parameters),-28} {seconds,6:F2} s   top-1 {ranks.Count(r => r == 1) / (double)ranks.Count:F3}  top-3 {ranks.Count(r => r <= 3) / (double)ranks.Count:F3}");
            }
            await LeversAsync(env, skill, cold.Package, manifest, train, labels, test, testLabels);
            return 0;
        }
    }

    /// <summary>Cheap accuracy levers, each on and off on the same cached embeddings. Every variant is
    /// scored two ways: by 5-fold cross-validation on the training images only (grouped: an image's copies
    /// stay in its fold; the held-out fold's images are embedded as served, with hflip TTA), which is what
    /// a lever is chosen by, and on the held-out split (reported, never chosen by), without and with hflip
    /// test-time augmentation (the mean of the embeddings of the image and its mirror).</summary>
    private static async Task LeversAsync(TrainingEnvironment env, LoadedSkillConfig skill, SkillPackageInfo package, DatasetManifest manifest,
        List<float[]> train, List<int> labels, List<float[]> test, List<int> testLabels)
    {
        using var backbone = Backbone.Open(skill.BackbonePath, skill.Config.Network.Backbone, Environment.ProcessorCount);
        var flipper = new Embedder(backbone, package.Backbone.Sha256, env.EmbeddingCache, env.ReadImageAsync,
            new EmbedderOptions { AugmentationSteps = [new Augmentation.AugmentationStep { Op = "hflip", P = 1 }], Seed = 0, DecodeParallelism = Environment.ProcessorCount });
        var testItems = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var trainItems = manifest.Items.Where(i => i.Split == Split.Train).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var (flipped, _) = await flipper.EmbedAsync([.. testItems.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, CancellationToken.None);
        var (trainFlipped, _) = await flipper.EmbedAsync([.. trainItems.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, CancellationToken.None);
        static float[] Mean(float[] a, float[] b) => [.. a.Zip(b, (x, y) => (x + y) / 2)];
        var tta = test.Select((v, i) => Mean(v, flipped[i])).ToList();
        var copies = 1 + package.Training.CopiesPerImage;
        var trainTta = Enumerable.Range(0, train.Count).Select(i => i % copies == 0 ? Mean(train[i], trainFlipped[i / copies]) : train[i]).ToList();
        var classes = manifest.Classes.Count;

        static float[] Unit(float[] v) { var n = MathF.Sqrt(v.Sum(x => x * x)); return n > 0 ? [.. v.Select(x => x / n)] : v; }
        static float[] RootUnit(float[] v) => Unit([.. v.Select(x => MathF.CopySign(MathF.Sqrt(MathF.Abs(x)), x))]);
        static HeadSpec Spec(string type, string json) => new() { Type = type, Params = JsonDocument.Parse(json).RootElement };
        // Random Fourier features (Rahimi & Recht 2007) of the unit embeddings: z = √(2/D)·cos(Wx + b), W ~ N(0, 1/σ²),
        // so zᵀz' ≈ exp(−|x − x'|² / 2σ²), an RBF kernel; a linear head on z is an approximate RBF-kernel machine.
        Func<float[], float[]> Fourier(int features, double sigma)
        {
            var random = new Random(7);
            var d = train[0].Length;
            double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var w = Enumerable.Range(0, features).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(Gauss() / sigma)).ToArray()).ToArray();
            var b = Enumerable.Range(0, features).Select(_ => (float)(2 * Math.PI * random.NextDouble())).ToArray();
            var scale = MathF.Sqrt(2f / features);
            return v => { var u = Unit(v); return [.. w.Select((row, j) => scale * MathF.Cos(System.Numerics.Tensors.TensorPrimitives.Dot(row, u) + b[j]))]; };
        }
        // σ: the median distance between unit training images (the usual heuristic), from the training rows only.
        var unitOriginals = Enumerable.Range(0, train.Count).Where(i => i % copies == 0).Select(i => Unit(train[i])).ToList();
        var distances = new List<double>();
        for (var i = 0; i < unitOriginals.Count; i += 3)
            for (var j = i + 1; j < unitOriginals.Count; j += 3)
                distances.Add(Math.Sqrt(unitOriginals[i].Zip(unitOriginals[j], (x, y) => (x - y) * (x - y)).Sum()));
        var sigma = BenchSupport.Median(distances);

        (double Top1, double Top3) Score(HeadSpec spec, Func<float[], float[]> transform, IReadOnlyList<int> fit, IReadOnlyList<float[]> rows, IReadOnlyList<float[]> queries, IReadOnlyList<int> truth)
        {
            var head = HeadFactory.Train(spec, new HeadTrainingData([.. fit.Select(i => transform(rows[i]))], [.. fit.Select(i => labels[i])], classes, Groups: [.. fit.Select(i => i / copies)]), 1).Head;
            var p = head.Predict([.. queries.Select(transform)]);
            var ranks = queries.Select((_, i) => 1 + p[i].Count(x => x > p[i][truth[i]])).ToList();
            return (ranks.Count(r => r == 1) / (double)ranks.Count, ranks.Count(r => r <= 3) / (double)ranks.Count);
        }
        (double Top1, double Top3) CrossValidate(HeadSpec spec, Func<float[], float[]> transform, bool flip = true)
        {
            double top1 = 0, top3 = 0; var total = 0;
            for (var f = 0; f < 5; f++)
            {
                var fit = Enumerable.Range(0, train.Count).Where(i => i / copies % 5 != f).ToList();
                var held = Enumerable.Range(0, train.Count).Where(i => i / copies % 5 == f && i % copies == 0).ToList();
                var (a, b) = Score(spec, transform, fit, train, [.. held.Select(i => flip ? trainTta[i] : train[i])], [.. held.Select(i => labels[i])]);
                top1 += a * held.Count; top3 += b * held.Count; total += held.Count;
            }
            return (top1 / total, top3 / total);
        }
        var all = Enumerable.Range(0, train.Count).ToList();
        Func<float[], float[]> identity = v => v;
        var variants = new List<(string Name, HeadSpec Spec, Func<float[], float[]> Transform)>
        {
            ("logistic l2 1 (default)", Spec("logistic", "{}"), identity),
            ("logistic, L2-normalised", Spec("logistic", "{}"), Unit),
            ("logistic, sqrt + L2-norm.", Spec("logistic", "{}"), RootUnit),
        };
        foreach (var l2 in new[] { 0.1, 0.3, 3, 10, 30, 100 })
            variants.Add(($"logistic l2 {l2}", Spec("logistic", $$"""{"l2":{{l2.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"""), identity));
        foreach (var k in new[] { 1, 5, 10 })
            variants.Add(($"knn cosine k={k}", Spec("knn", $$"""{"k":{{k}}}"""), identity));
        variants.Add(("lda, shrinkage by inner 5-fold CV", Spec("lda", "{}"), identity));
        foreach (var a in new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8 })
            variants.Add(($"lda shrinkage {a}", Spec("lda", $$"""{"shrinkage":{{a.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"""), identity));
        variants.Add(("lda 0.5, sqrt + L2-norm.", Spec("lda", """{"shrinkage":0.5}"""), RootUnit));
        variants.Add(("lda 0.5, not normalised", Spec("lda", """{"shrinkage":0.5,"normalize":"none"}"""), identity));
        var rff = Fourier(2048, sigma);
        variants.Add(($"RBF (2048 RFF, s={sigma:F2}) + logistic", Spec("logistic", "{}"), rff));
        variants.Add(("RBF (2048 RFF) + linear-svm", Spec("linear-svm", "{}"), rff));
        var cache = new Dictionary<float[], float[]>(ReferenceEqualityComparer.Instance);
        Console.WriteLine($"  levers (same embeddings; CV = 5-fold on the {train.Count / copies} training images, held-out fold with hflip TTA; held-out split {test.Count} images):");
        Console.WriteLine($"    {"variant",-36} {"CV no TTA",9} | {"CV top-1",8} {"CV top-3",8} | {"held-out top-1/top-3",20} | {"+ hflip TTA top-1/top-3",22}");
        foreach (var (name, spec, transform) in variants)
        {
            Func<float[], float[]> memo = transform == identity ? identity : v => { lock (cache) { if (!cache.TryGetValue(v, out var t)) cache[v] = t = transform(v); return t; } };
            if (transform != identity) cache.Clear();
            var watch = Stopwatch.StartNew();
            var (cv1, cv3) = CrossValidate(spec, memo);
            var (plain1, _) = CrossValidate(spec, memo, flip: false);
            var (h1, h3) = Score(spec, memo, all, train, test, testLabels);
            var (t1, t3) = Score(spec, memo, all, train, tta, testLabels);
            Console.WriteLine($"    {name,-36} {plain1,9:F3} | {cv1,8:F3} {cv3,8:F3} | {h1,9:F3} / {h3,-8:F3} | {t1,10:F3} / {t3,-9:F3} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
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
