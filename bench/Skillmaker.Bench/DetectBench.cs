using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Vision.Detection;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Bench;

/// <summary>Detect throughput: the whole per-image path (decode with EXIF, letterbox, ONNX Runtime,
/// output decoding, NMS) against a bare <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// on tensors prepared beforehand, same model, same thread count, in one process. Passes alternate
/// so both sides see the same machine state; the median pass counts.</summary>
internal static class DetectBench
{
    private const double Target = 0.85;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new BenchArgs(args);
        var threads = options.Int("--threads", 0);
        var rounds = options.Int("--rounds", 3);
        var (assets, looked) = AssetLocator.Locate(Environment.GetEnvironmentVariable, Environment.CurrentDirectory, AppContext.BaseDirectory);
        if (assets is null)
        {
            await Console.Error.WriteLineAsync($"shared assets not found (looked in {string.Join("; ", looked)}); set {AssetLocator.EnvironmentVariable}");
            return 1;
        }
        var model = options.Get("--model") ?? Path.Combine(assets, "detector", "yolov8n_int8.onnx");
        var folder = options.Get("--images") ?? Path.Combine(assets, "scenes");
        var files = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        var images = files.Select(File.ReadAllBytes).ToList();

        using var detector = YoloDetector.Load(model, null, threads);
        var thresholds = new DetectorSettings().Thresholds;
        var (w, h) = (detector.Model.InputWidth, detector.Model.InputHeight);

        // Bare side: its own session with the same options, fed tensors made before timing starts.
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, sessionOptions);
        using var runOptions = new RunOptions();
        var inputName = session.InputMetadata.Keys.Single();
        var outputName = session.OutputMetadata.Keys.First();
        var tensors = images.Select(bytes =>
        {
            using var bitmap = OrientedDecoder.Decode(bytes);
            var tensor = new float[3 * w * h];
            LetterboxTensor.Fill(bitmap, Letterbox.Fit(bitmap.Width, bitmap.Height, w, h), tensor);
            return tensor;
        }).ToList();

        void Bare()
        {
            foreach (var tensor in tensors)
            {
                using var input = OrtValue.CreateTensorValueFromMemory(tensor, [1, 3, h, w]);
                using var output = session.Run(runOptions, [inputName], [input], [outputName]);
            }
        }
        var found = 0;
        void EndToEnd()
        {
            found = 0;
            foreach (var bytes in images)
            {
                using var frame = detector.Detect(bytes, thresholds);
                found += frame.Detections.Count;
            }
        }

        Console.WriteLine($"detect bench: {images.Count} images from {folder}, model {Path.GetFileName(model)} ({detector.Model.OutputLayout}, input {w}x{h}), threads {(threads == 0 ? "auto" : threads)}, {Environment.ProcessorCount} cores, {rounds} rounds");
        Bare();
        EndToEnd(); // warm-up: first runs pay for allocations and kernel selection
        var bare = new List<double>();
        var full = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            bare.Add(Time(Bare, images.Count));
            full.Add(Time(EndToEnd, images.Count));
            Console.WriteLine($"  round {r + 1}: bare {bare[^1]:0.00} img/s, end-to-end {full[^1]:0.00} img/s");
        }
        var bareRate = Median(bare);
        var fullRate = Median(full);
        var ratio = fullRate / bareRate;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine($"bare InferenceSession.Run : {bareRate,7:0.00} images/s ({1000 / bareRate:0.0} ms/image)");
        Console.WriteLine($"end-to-end detect         : {fullRate,7:0.00} images/s ({1000 / fullRate:0.0} ms/image), {found} detections per pass");
        Console.WriteLine($"ratio                     : {ratio:0.000} (target >= {Target.ToString("0.00", CultureInfo.InvariantCulture)}) {(ratio >= Target ? "OK" : "BELOW TARGET")}");
        Console.WriteLine($"peak working set          : {process.PeakWorkingSet64 / (1024.0 * 1024):0} MiB (both sessions and all {images.Count} images in memory)");
        return 0;
    }

    private static double Time(Action pass, int count)
    {
        var watch = Stopwatch.StartNew();
        pass();
        return count / watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
