using SkiaSharp;
using Skillmaker.Ingest;

namespace Skillmaker.Bench;

/// <summary>Ingest throughput on the cars folder versus decoding the same files alone with SkiaSharp,
/// at the same parallelism, in one run (target: ingest ≥ 0.7 × decode-only). Memory: the managed heap's
/// peak while ingesting a third of the photos versus all of them (bounded: it must not grow with the
/// number of images).</summary>
internal static class IngestBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 3;
        var cars = Path.Combine(BenchSupport.Assets(), "cars");
        var files = Directory.EnumerateFiles(cars, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var parallelism = Environment.ProcessorCount;
        foreach (var f in files) await File.ReadAllBytesAsync(f); // warm the OS file cache for every contender

        var decode = new List<double>();
        var ingest = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            decode.Add(files.Length / (await BenchSupport.TimeAsync(() => DecodeOnlyAsync(files, parallelism))).TotalSeconds);
            ingest.Add(files.Length / (await BenchSupport.TimeAsync(() => IngestAsync([cars], parallelism))).TotalSeconds);
        }
        var decodeRate = BenchSupport.Median(decode);
        var ingestRate = BenchSupport.Median(ingest);

        var third = Path.Combine(Path.GetTempPath(), $"sm-bench-third-{Guid.NewGuid():N}");
        Directory.CreateDirectory(third);
        foreach (var f in files.Where((_, i) => i % 3 == 0)) File.Copy(f, Path.Combine(third, Path.GetFileName(Path.GetDirectoryName(f)) + "-" + Path.GetFileName(f)));
        long smallPeak, fullPeak;
        using (var sampler = new PeakMemorySampler()) { await IngestAsync([third], parallelism); smallPeak = sampler.PeakAboveBaseline; }
        using (var sampler = new PeakMemorySampler()) { await IngestAsync([cars], parallelism); fullPeak = sampler.PeakAboveBaseline; }
        Directory.Delete(third, recursive: true);

        Console.WriteLine($"ingest benchmark: {files.Length} photos, parallelism {parallelism}, median of {rounds} rounds");
        Console.WriteLine($"  decode-only (SKBitmap.Decode, full size): {decodeRate,8:F1} images/s");
        Console.WriteLine($"  ingest (hash, probe, EXIF, pHash, blob, catalog): {ingestRate,8:F1} images/s");
        Console.WriteLine($"  ratio ingest / decode-only: {ingestRate / decodeRate:F2} (target >= 0.70)");
        Console.WriteLine($"  managed heap peak: {smallPeak / 1048576.0:F1} MiB for {files.Length / 3 + 1} photos, {fullPeak / 1048576.0:F1} MiB for {files.Length} photos");
        return 0;
    }

    private static Task DecodeOnlyAsync(string[] files, int parallelism) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (file, ct) =>
        {
            var bytes = await File.ReadAllBytesAsync(file, ct);
            using var bitmap = SKBitmap.Decode(bytes) ?? throw new InvalidOperationException($"{file} did not decode");
        });

    private static Task IngestAsync(string[] paths, int parallelism) =>
        BenchSupport.InWorkspaceAsync(async line =>
        {
            var summary = await line.Ingest().RunAsync(new IngestRequest { Paths = paths, Source = "bench", LabelsFromFolders = true }, null, CancellationToken.None);
            if (summary.Rejected.Count > 0) throw new InvalidOperationException($"{summary.Rejected.Count} files rejected: {summary.Rejected[0].Reason}");
        }, parallelism);
}
