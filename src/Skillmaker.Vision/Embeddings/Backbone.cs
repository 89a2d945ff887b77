using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Vision.Embeddings;

/// <summary>A frozen ONNX feature extractor, checked against its spec when opened: the output must
/// exist, the input shape must match the preprocessing, the embedding size must be fixed. Thread-safe:
/// ONNX Runtime sessions may run concurrently.</summary>
public sealed class Backbone : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _embeddingSize;
    private readonly long[] _inputShapeTail;
    private long _runs;

    private Backbone(InferenceSession session, string path, string input, string output, int embeddingSize, int? fixedBatch, PreprocessingSpec preprocessing)
    {
        _session = session;
        Path = path;
        _inputNames = [input];
        _outputNames = [output];
        _embeddingSize = embeddingSize;
        FixedBatch = fixedBatch;
        Preprocessor = new Preprocessor(preprocessing);
        _inputShapeTail = preprocessing.Layout == TensorLayout.Nchw
            ? [3, preprocessing.Height, preprocessing.Width]
            : [preprocessing.Height, preprocessing.Width, 3];
    }

    public string Path { get; }
    public string InputName => _inputNames[0];
    public string OutputName => _outputNames[0];
    public int EmbeddingSize => _embeddingSize;
    /// <summary>Set when the model only accepts batches of exactly this size.</summary>
    public int? FixedBatch { get; }
    public Preprocessor Preprocessor { get; }
    /// <summary>Inference calls made so far (a warm cache makes none).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <param name="field">Config path for error messages, e.g. network.backbone.</param>
    public static Backbone Open(string path, BackboneSpec spec, int threads, string executionProvider = "cpu", string field = "network.backbone")
    {
        if (!File.Exists(path))
            throw new SkillmakerException($"{field}.path: the backbone file {path} does not exist; expected an ONNX model file.");
        var options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, threads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle inference threads sleep instead of spinning: decoding runs beside inference on the same
        // cores, and spinning threads would take its CPU time.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        InferenceSession session;
        try
        {
            if (executionProvider == "cuda")
            {
                var available = OrtEnv.Instance().GetAvailableProviders();
                if (!available.Contains("CUDAExecutionProvider"))
                    throw new SkillmakerException($"executionProvider 'cuda' is not available in this ONNX Runtime build (it has: {string.Join(", ", available)}); use 'cpu' or run a build with Microsoft.ML.OnnxRuntime.Gpu.");
                options.AppendExecutionProvider_CUDA();
            }
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new SkillmakerException($"{field}.path: {path} is not a model ONNX Runtime can load: {ex.Message}", ex);
        }
        finally
        {
            options.Dispose();
        }
        try
        {
            return Check(session, path, spec, field);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static Backbone Check(InferenceSession session, string path, BackboneSpec spec, string field)
    {
        var file = System.IO.Path.GetFileName(path);
        string input;
        if (spec.Input is { Length: > 0 } wanted)
        {
            if (!session.InputMetadata.ContainsKey(wanted))
                throw new SkillmakerException($"{field}.input: '{wanted}' is not an input of {file}; it has: {Describe(session.InputMetadata)}.");
            input = wanted;
        }
        else if (session.InputMetadata.Count == 1) input = session.InputMetadata.Keys.Single();
        else throw new SkillmakerException($"{field}.input: {file} has {session.InputMetadata.Count} inputs ({Describe(session.InputMetadata)}); name the image input.");

        if (!session.OutputMetadata.TryGetValue(spec.Output, out var output))
            throw new SkillmakerException($"{field}.output: '{spec.Output}' is not an output of {file}; it has: {Describe(session.OutputMetadata)}.");

        var meta = session.InputMetadata[input];
        var p = spec.Preprocessing;
        if (meta.ElementDataType != TensorElementType.Float)
            throw new SkillmakerException($"{field}.input: '{input}' of {file} takes {meta.ElementDataType}; Skillmaker feeds float32 tensors.");
        var dims = meta.Dimensions;
        int[] expected = p.Layout == TensorLayout.Nchw ? [-1, 3, p.Height, p.Width] : [-1, p.Height, p.Width, 3];
        var matches = dims.Length == 4 && Enumerable.Range(1, 3).All(i => dims[i] <= 0 || dims[i] == expected[i]);
        if (!matches)
            throw new SkillmakerException(
                $"{field}.preprocessing: {p.Width}x{p.Height} {p.Layout.ToString().ToLowerInvariant()} gives tensors [batch,{string.Join(',', expected.Skip(1))}], " +
                $"but input '{input}' of {file} has shape {Shape(dims)}; set width, height and layout to match the model.");

        var outDims = output.Dimensions;
        if (output.ElementDataType != TensorElementType.Float || outDims.Length < 2 || outDims.Skip(1).Any(d => d <= 0))
            throw new SkillmakerException($"{field}.output: '{spec.Output}' of {file} has shape {Shape(outDims)} ({output.ElementDataType}); an embedding must be float32 [batch, D] with a fixed D (trailing 1s allowed).");
        var size = outDims.Skip(1).Aggregate(1, (a, d) => a * d);
        return new Backbone(session, path, input, spec.Output, size, dims[0] > 0 ? dims[0] : null, p);
    }

    /// <summary>Runs the backbone on <paramref name="count"/> preprocessed images laid out one after
    /// another in <paramref name="input"/>; returns their embeddings, one after another.</summary>
    public float[] Run(float[] input, int count)
    {
        var per = Preprocessor.TensorLength;
        if (input.Length < count * per) throw new ArgumentException($"input holds {input.Length} floats; {count} images need {count * per}", nameof(input));
        var result = new float[count * _embeddingSize];
        var step = FixedBatch ?? count;
        for (var start = 0; start < count; start += step)
        {
            var n = Math.Min(step, count - start);
            var batch = FixedBatch is { } fixedSize ? fixedSize : n;
            // A fixed-batch model gets zero padding after the last image; its rows are dropped.
            var memory = FixedBatch is null && start == 0 && n == count && input.Length == count * per
                ? input
                : CopySlice(input, start * per, n * per, batch * per);
            using var value = OrtValue.CreateTensorValueFromMemory(memory, [batch, .. _inputShapeTail]);
            using var outputs = _session.Run(_runOptions, _inputNames, [value], _outputNames);
            Interlocked.Increment(ref _runs);
            outputs[0].GetTensorDataAsSpan<float>()[..(n * _embeddingSize)].CopyTo(result.AsSpan(start * _embeddingSize));
        }
        return result;
    }

    private static float[] CopySlice(float[] source, int offset, int length, int size)
    {
        var copy = new float[size];
        Array.Copy(source, offset, copy, 0, length);
        return copy;
    }

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        string.Join(", ", nodes.Select(n => $"{n.Key} {Shape(n.Value.Dimensions)}"));

    private static string Shape(int[] dims) =>
        "[" + string.Join(',', dims.Select((d, i) => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : i == 0 ? "batch" : "?")) + "]";

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
