using System.Diagnostics;
using SkiaSharp;
using Skillmaker.Augmentation;
using Skillmaker.Vision.Augmentation;

namespace Skillmaker.Bench;

/// <summary>Augmented crops per second with the default pipeline on the car photos (already decoded,
/// as training holds them), against copying the same bitmaps (the floor any augmentation pays).</summary>
internal static class AugmentBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var copies = args.Length > 0 && int.TryParse(args[0], out var c) ? c : 4;
        var files = Directory.EnumerateFiles(Path.Combine(BenchSupport.Assets(), "cars"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(120).ToList();
        var bitmaps = files.Select(f => SKBitmap.Decode(f).Copy(SKColorType.Rgba8888)).ToList();
        var augmenter = new Augmenter(AugmentationSteps.Defaults);

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < bitmaps.Count; i++)
            for (var k = 0; k < copies; k++)
                bitmaps[i].Copy().Dispose();
        var copyRate = bitmaps.Count * copies / watch.Elapsed.TotalSeconds;

        watch.Restart();
        for (var i = 0; i < bitmaps.Count; i++)
            for (var k = 0; k < copies; k++)
                augmenter.Apply(new AugmentSource(bitmaps[i]), 1, files[i], k, bitmaps[(i + 1) % bitmaps.Count]).Dispose();
        var augmentRate = bitmaps.Count * copies / watch.Elapsed.TotalSeconds;

        Console.WriteLine($"augment benchmark: {bitmaps.Count} car photos x {copies} copies, one thread, default pipeline ({string.Join(", ", AugmentationSteps.Defaults.Select(s => s.Op))})");
        Console.WriteLine($"  bitmap copy only: {copyRate,8:F0} images/s");
        Console.WriteLine($"  augmented:        {augmentRate,8:F0} images/s");
        foreach (var b in bitmaps) b.Dispose();
        return Task.FromResult(0);
    }
}
