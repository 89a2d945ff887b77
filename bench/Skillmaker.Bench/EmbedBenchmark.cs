using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Skillmaker.Common;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Bench;

/// <summary>Embedding throughput on the car photos: bare <c>InferenceSession.Run</c> on preprocessed
/// tensors, Skillmaker's backbone on the same tensors, and the whole embedder (read, decode,
/// preprocess, infer, write the cache; decoding pipelined beside inference) from the photo files, all
/// with the same session options (target: embedder ≥ 0.85 × bare).
/// Arguments: [images=128] [batch=16] [threads=cores] [rounds=3].</summary>
internal static class EmbedBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = Arg(args, 0, 128);
        var batch = Arg(args, 1, 16);
        var threads = Arg(args, 2, Environment.ProcessorCount);
        var rounds = Arg(args, 3, 3);
        var assets = BenchSupport.Assets();
        var files = Directory.EnumerateFiles(Path.Combine(assets, "cars"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(count).ToArray();
        var bytes = files.ToDictionary(f => Sha256Hex.Of(File.ReadAllBytes(f)), File.ReadAllBytes);
        var ids = bytes.Keys.ToArray();
        var spec = new BackboneSpec { Path = Path.Combine(assets, "backbone", "mobilenetv2-12-int8-features.onnx"), Output = "features" };
        using var backbone = Backbone.Open(spec.Path, spec, threads);
        var per = backbone.Preprocessor.TensorLength;

        // The same preprocessed tensors for both inference-only contenders, batch after batch.
        var batches = new List<(float[] Tensor, int Count)>();
        for (var s = 0; s < ids.Length; s += batch)
        {
            var n = Math.Min(batch, ids.Length - s);
            var tensor = new float[n * per];
            for (var i = 0; i < n; i++)
            {
                using var image = ImageDecoding.DecodeOriented(bytes[ids[s + i]], ids[s + i]);
                backbone.Preprocessor.Write(image, tensor.AsSpan(i * per, per));
            }
            batches.Add((tensor, n));
        }

        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(spec.Path, options);
        using var runOptions = new RunOptions();
        string[] inputNames = ["input"], outputNames = ["features"];
        double Bare()
        {
            var watch = Stopwatch.StartNew();
            foreach (var (tensor, n) in batches)
            {
                using var value = OrtValue.CreateTensorValueFromMemory(tensor, [n, 3, 224, 224]);
                using var outputs = session.Run(runOptions, inputNames, [value], outputNames);
                _ = outputs[0].GetTensorDataAsSpan<float>()[0];
            }
            return ids.Length / watch.Elapsed.TotalSeconds;
        }
        double Ours()
        {
            var watch = Stopwatch.StartNew();
            foreach (var (tensor, n) in batches) backbone.Run(tensor, n);
            return ids.Length / watch.Elapsed.TotalSeconds;
        }
        async Task<double> Embedder()
        {
            var cacheDir = Path.Combine(Path.GetTempPath(), $"sm-bench-emb-{Guid.NewGuid():N}");
            try
            {
                var embedder = new Embedder(backbone, new string('0', 64), new EmbeddingCache(cacheDir),
                    (id, _) => Task.FromResult(bytes[id]), new EmbedderOptions { BatchSize = batch, DecodeParallelism = threads });
                var watch = Stopwatch.StartNew();
                var (_, stats) = await embedder.EmbedAsync([.. ids.Select(id => new EmbeddingRequest(id))], null, CancellationToken.None);
                if (stats.Computed != ids.Length) throw new InvalidOperationException($"computed {stats.Computed} of {ids.Length}");
                return ids.Length / watch.Elapsed.TotalSeconds;
            }
            finally
            {
                Directory.Delete(cacheDir, recursive: true);
            }
        }

        double DecodeOnly(bool preprocess)
        {
            var watch = Stopwatch.StartNew();
            Parallel.ForEach(ids, new ParallelOptions { MaxDegreeOfParallelism = threads }, id =>
            {
                using var image = ImageDecoding.DecodeOriented(bytes[id], id);
                if (preprocess) backbone.Preprocessor.Write(image, new float[per]);
            });
            return ids.Length / watch.Elapsed.TotalSeconds;
        }

        Bare();
        Ours();
        var decode = BenchSupport.Median(Enumerable.Range(0, rounds).Select(_ => DecodeOnly(false)));
        var decodePre = BenchSupport.Median(Enumerable.Range(0, rounds).Select(_ => DecodeOnly(true)));
        var bare = new List<double>();
        var ours = new List<double>();
        var full = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            bare.Add(Bare());
            ours.Add(Ours());
            full.Add(await Embedder());
        }
        var (b, o, f) = (BenchSupport.Median(bare), BenchSupport.Median(ours), BenchSupport.Median(full));
        Console.WriteLine($"embed benchmark: {ids.Length} car photos, batch {batch}, {threads} ORT threads, median of {rounds} rounds, {Path.GetFileName(spec.Path)}");
        Console.WriteLine($"  bare InferenceSession.Run on preprocessed tensors: {b,7:F1} images/s");
        Console.WriteLine($"  Backbone.Run on the same tensors:                  {o,7:F1} images/s  ratio {o / b:F2}");
        Console.WriteLine($"  decode only, {threads} threads:                     {decode,7:F1} images/s");
        Console.WriteLine($"  decode + preprocess, {threads} threads:              {decodePre,7:F1} images/s (the ceiling for embedding from files)");
        Console.WriteLine($"  Embedder from JPEG bytes (decode, preprocess, infer, cache write): {f,7:F1} images/s  ratio {f / b:F2} (target >= 0.85)");
        return 0;
    }

    internal static int Arg(string[] args, int index, int fallback) => args.Length > index && int.TryParse(args[index], out var v) ? v : fallback;
}
