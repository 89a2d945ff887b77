using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Vision.Detection;

/// <summary>A YOLO ONNX detector on ONNX Runtime (CPU). The model is checked when it is loaded: a
/// missing file, a file that is not ONNX, or a model whose outputs are not a detector's is refused with
/// a message that names what was expected and what was found. Thread-safe; use <see cref="Shared"/> so
/// that a process loads each model once.</summary>
public sealed partial class YoloDetector : IObjectDetector
{
    /// <summary>Used when the model states no fixed input size.</summary>
    public const int DefaultInputSize = 640;

    private static readonly ConcurrentDictionary<string, Lazy<YoloDetector>> Loaded = new(StringComparer.Ordinal);

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly YoloLayout _layout;
    private readonly ConcurrentBag<float[]> _buffers = [];
    private readonly RunOptions _runOptions = new();

    private YoloDetector(InferenceSession session, DetectorModel model, string inputName, string outputName, YoloLayout layout)
    {
        _session = session;
        Model = model;
        _inputName = inputName;
        _outputName = outputName;
        _layout = layout;
    }

    public DetectorModel Model { get; }

    /// <summary>The process-wide detector for this model file, labels and thread count, loaded on first
    /// use. A file replaced on disk (other size or time) is loaded again.</summary>
    public static YoloDetector Shared(string modelPath, string? labelsPath, int threads)
    {
        var full = Path.GetFullPath(modelPath);
        var info = new FileInfo(full);
        var key = $"{full}|{(info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "missing")}|{labelsPath}|{threads}";
        var lazy = Loaded.GetOrAdd(key, _ => new Lazy<YoloDetector>(() => Load(full, labelsPath, threads)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached: the user may fix the file and try again in the same process.
            Loaded.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    /// <summary>Loads and validates a model. Prefer <see cref="Shared"/>.</summary>
    public static YoloDetector Load(string modelPath, string? labelsPath, int threads)
    {
        var path = Path.GetFullPath(modelPath);
        if (Directory.Exists(path)) throw new SkillmakerException($"Detector model {path} is a folder; expected an .onnx file.");
        if (!File.Exists(path))
            throw new SkillmakerException($"Detector model {path} does not exist. Give the path of a YOLO .onnx file (detector.model in the workspace config).");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new SkillmakerException($"Detector model {path} is empty (0 bytes); expected a YOLO .onnx file.");
        if (bytes.AsSpan().StartsWith("version https://git-lfs"u8))
            throw new SkillmakerException($"Detector model {path} is a Git LFS pointer, not the model itself; run `git lfs pull` or copy the real .onnx file.");

        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(bytes, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new SkillmakerException($"Detector model {path} is not an ONNX model ONNX Runtime can load ({FirstLine(ex.Message)}); expected a YOLO detector exported to ONNX.", ex);
        }
        finally
        {
            options.Dispose();
        }

        try
        {
            var (inputName, inputWidth, inputHeight) = CheckInput(session, path);
            var outputs = session.OutputMetadata
                .Select(o => (o.Key, Shape: o.Value.IsTensor && o.Value.ElementDataType == TensorElementType.Float ? o.Value.Dimensions.Select(d => (long)d).ToArray() : []))
                .ToList();
            // The shapes alone must look like a detector's before class names are looked for.
            var problems = new List<string>();
            int? countFromShape = null;
            foreach (var (name, shape) in outputs)
            {
                if (YoloOutputDecoder.Classify(shape, null, out var problem) is { } guess) { countFromShape ??= guess.ClassCount; continue; }
                problems.Add($"{name}: {(shape.Length == 0 ? "not a float32 tensor" : problem)}");
            }
            if (countFromShape is null) throw NotADetector(path, outputs, problems);

            var (names, namesSource) = ClassNames.Resolve(session.ModelMetadata.CustomMetadataMap, path, labelsPath, countFromShape);
            problems.Clear();
            foreach (var (name, shape) in outputs)
            {
                if (YoloOutputDecoder.Classify(shape, names.Count, out var problem) is { } layout)
                {
                    var model = new DetectorModel
                    {
                        Path = path, Sha256 = Sha256Hex.Of(bytes), ClassNames = names, ClassNamesSource = namesSource,
                        InputWidth = inputWidth, InputHeight = inputHeight, OutputLayout = layout.Layout == YoloLayout.V8 ? "yolov8" : "yolov5", Threads = threads,
                    };
                    return new YoloDetector(session, model, inputName, name, layout.Layout);
                }
                problems.Add($"{name}: {problem} ({namesSource})");
            }
            throw NotADetector(path, outputs, problems);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public IDetectionFrame Detect(ReadOnlySpan<byte> imageBytes, DetectionThresholds thresholds)
    {
        var bitmap = OrientedDecoder.Decode(imageBytes);
        try
        {
            var detections = DetectDecoded(bitmap, thresholds);
            return new SkiaDetectionFrame(bitmap, detections);
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>Letterbox, inference, decoding and NMS on an already decoded, oriented, opaque RGBA image.</summary>
    public IReadOnlyList<DetectedObject> DetectDecoded(SKBitmap image, DetectionThresholds thresholds)
    {
        var letterbox = Letterbox.Fit(image.Width, image.Height, Model.InputWidth, Model.InputHeight);
        var input = RentInput();
        try
        {
            LetterboxTensor.Fill(image, letterbox, input);
            return Infer(input, letterbox, thresholds);
        }
        finally
        {
            _buffers.Add(input);
        }
    }

    /// <summary>An NCHW float buffer of the model's input size; give it back with <see cref="ReturnInput"/>.</summary>
    internal float[] RentInput() => _buffers.TryTake(out var buffer) ? buffer : new float[3 * Model.InputWidth * Model.InputHeight];

    internal void ReturnInput(float[] buffer) => _buffers.Add(buffer);

    internal IReadOnlyList<DetectedObject> Infer(float[] input, Letterbox letterbox, DetectionThresholds thresholds)
    {
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Model.InputHeight, Model.InputWidth]);
        using var results = _session.Run(_runOptions, [_inputName], [tensor], [_outputName]);
        var output = results[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        var anchors = (int)(_layout == YoloLayout.V8 ? shape[2] : shape[1]);
        var candidates = YoloOutputDecoder.Decode(output.GetTensorDataAsSpan<float>(), _layout, anchors, Model.ClassNames, thresholds.MinScore);
        // Boxes go back to image pixels before NMS, so the IoU is measured where the boxes are used.
        for (var i = 0; i < candidates.Count; i++)
            candidates[i] = candidates[i] with { Box = letterbox.ToSource(candidates[i].Box) };
        candidates.RemoveAll(c => c.Box.Area <= 0);
        return Nms.PerClass(candidates, thresholds.Iou);
    }

    /// <summary>Runs the bare session on a ready tensor (for benchmarks): no decoding, no NMS.</summary>
    internal void RunBare(float[] input)
    {
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Model.InputHeight, Model.InputWidth]);
        using var results = _session.Run(_runOptions, [_inputName], [tensor], [_outputName]);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static (string Name, int Width, int Height) CheckInput(InferenceSession session, string path)
    {
        var inputs = session.InputMetadata.ToList();
        string Found() => string.Join(", ", inputs.Select(i => $"{i.Key} [{string.Join(",", i.Value.Dimensions.Select(Dim))}]"));
        if (inputs.Count != 1)
            throw new SkillmakerException($"Detector model {path} has {inputs.Count} inputs; expected one image input [1, 3, H, W], found {Found()}.");
        var (name, meta) = (inputs[0].Key, inputs[0].Value);
        var d = meta.IsTensor ? meta.Dimensions : [];
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || d.Length != 4 || d[0] > 1 || (d[1] != 3 && d[1] > 0))
            throw new SkillmakerException($"Detector model {path} does not take an image: expected one float32 input [1, 3, H, W], found {Found()}.");
        var height = d[2] > 0 ? d[2] : DefaultInputSize;
        var width = d[3] > 0 ? d[3] : DefaultInputSize;
        return (name, width, height);
    }

    private static SkillmakerException NotADetector(string path, IEnumerable<(string Name, long[] Shape)> outputs, IEnumerable<string> problems) =>
        new($"Detector model {path} does not have a detector's outputs: expected {YoloOutputDecoder.ExpectedShapes}, found {DescribeShapes(outputs)} ({string.Join("; ", problems)}).");

    private static string DescribeShapes(IEnumerable<(string Name, long[] Shape)> outputs) =>
        string.Join(", ", outputs.Select(o => $"{o.Name} [{string.Join(",", o.Shape.Select(d => Dim((int)d)))}]"));

    private static string Dim(int d) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>Where class names come from: an explicit labels file, else the ONNX metadata <c>names</c>,
    /// else a labels file beside the model.</summary>
    internal static partial class ClassNames
    {
        public static (IReadOnlyList<string> Names, string Source) Resolve(IReadOnlyDictionary<string, string> metadata, string modelPath, string? labelsPath, int? countFromShape)
        {
            if (labelsPath is not null) return (ReadLabels(Path.GetFullPath(labelsPath)), Path.GetFullPath(labelsPath));
            if (metadata.TryGetValue("names", out var raw) && ParseMetadata(raw) is { Count: > 0 } parsed) return (parsed, "onnx metadata");
            var dir = Path.GetDirectoryName(modelPath)!;
            var stem = Path.GetFileNameWithoutExtension(modelPath);
            string[] candidates = [$"{stem}.txt", $"{stem}.names", "labels.txt", "coco80.txt"];
            foreach (var candidate in candidates.Select(c => Path.Combine(dir, c)).Where(File.Exists))
            {
                var names = ReadLabels(candidate);
                if (countFromShape is null || names.Count == countFromShape) return (names, candidate);
            }
            throw new SkillmakerException(
                $"Detector model {modelPath} carries no class names (ONNX metadata 'names') and no labels file was found beside it " +
                $"(looked for {string.Join(", ", candidates)}{(countFromShape is { } n ? $" with {n} lines" : "")}). Give a labels file with one class name per line (detector.labels in the workspace config).");
        }

        public static IReadOnlyList<string> ReadLabels(string path)
        {
            if (!File.Exists(path)) throw new SkillmakerException($"Labels file {path} does not exist; expected one class name per line, line 1 = class 0.");
            var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (names.Count == 0) throw new SkillmakerException($"Labels file {path} is empty; expected one class name per line, line 1 = class 0.");
            return names;
        }

        /// <summary>Parses Ultralytics' Python-dict metadata, e.g. <c>{0: 'person', 1: 'bicycle'}</c>.</summary>
        public static IReadOnlyList<string>? ParseMetadata(string raw)
        {
            var entries = Entry().Matches(raw).Select(m => (Index: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Name: m.Groups[3].Value)).ToList();
            if (entries.Count == 0) return null;
            var ordered = entries.OrderBy(e => e.Index).ToList();
            // Indices must be 0..C-1 without gaps, or the class ids would not line up with the scores.
            return ordered.Select((e, i) => e.Index == i).All(ok => ok) ? [.. ordered.Select(e => e.Name)] : null;
        }

        [GeneratedRegex(@"(\d+)\s*:\s*(['""])(.*?)\2")]
        private static partial Regex Entry();
    }
}
