using SkiaSharp;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Vision.Skills;

/// <summary>A label and its probability.</summary>
public readonly record struct LabelProbability(string Label, float Probability);

public sealed record PredictorOptions
{
    /// <summary>ONNX Runtime threads per inference. Default: the package's profile threads.</summary>
    public int? Threads { get; init; }

    /// <summary>Default: the package's profile execution provider.</summary>
    public string? ExecutionProvider { get; init; }

    /// <summary>Backbone file when it is not where the package says (sha256 is checked).</summary>
    public string? BackbonePath { get; init; }
}

/// <summary>Classifies images with one skill version: preprocessing, backbone and head, exactly as
/// trained. Thread-safe: one instance serves concurrent requests (it owns one ONNX Runtime session).</summary>
public sealed class SkillPredictor : IDisposable
{
    private SkillPredictor(SkillPackage package, Backbone backbone, IHead head)
    {
        Package = package;
        Backbone = backbone;
        Head = head;
    }

    public SkillPackage Package { get; }
    public Backbone Backbone { get; }
    public IHead Head { get; }

    /// <summary>Loads the package at <paramref name="directory"/> and opens its models.</summary>
    public static SkillPredictor Open(string directory, PredictorOptions? options = null) =>
        Create(SkillPackage.Load(directory, options?.BackbonePath), options);

    public static SkillPredictor Create(SkillPackage package, PredictorOptions? options = null)
    {
        var info = package.Info;
        var spec = new BackboneSpec { Path = package.BackbonePath, Input = info.Backbone.Input, Output = info.Backbone.Output, Preprocessing = info.Preprocessing };
        var backbone = Backbone.Open(package.BackbonePath, spec, options?.Threads ?? info.Runtime.EffectiveThreads, options?.ExecutionProvider ?? info.Runtime.ExecutionProvider, "backbone");
        try
        {
            if (backbone.EmbeddingSize != info.Backbone.EmbeddingSize)
                throw new Common.SkillmakerException($"The backbone gives {backbone.EmbeddingSize}-dimensional embeddings; {info.Name} v{info.Version} was trained on {info.Backbone.EmbeddingSize}.");
            return new SkillPredictor(package, backbone, HeadFactory.Load(info.Head.Type, package.HeadBytes, info.Labels.Count));
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>The <paramref name="topK"/> most probable labels, most probable first.</summary>
    public IReadOnlyList<LabelProbability> Predict(SKBitmap image, int topK) => Top(Probabilities(image), topK);

    public IReadOnlyList<IReadOnlyList<LabelProbability>> PredictBatch(IReadOnlyList<SKBitmap> images, int topK) =>
        [.. ProbabilitiesBatch(images).Select(p => Top(p, topK))];

    /// <summary>Every label's probability, in <see cref="SkillPackageInfo.Labels"/> order.</summary>
    public float[] Probabilities(SKBitmap image) => ProbabilitiesBatch([image])[0];

    public float[][] ProbabilitiesBatch(IReadOnlyList<SKBitmap> images)
    {
        if (images.Count == 0) return [];
        var per = Backbone.Preprocessor.TensorLength;
        var input = new float[images.Count * per];
        if (images.Count == 1) Backbone.Preprocessor.Write(images[0], input);
        else Parallel.For(0, images.Count, i => Backbone.Preprocessor.Write(images[i], input.AsSpan(i * per, per)));
        var flat = Backbone.Run(input, images.Count);
        var size = Backbone.EmbeddingSize;
        return Head.Predict([.. Enumerable.Range(0, images.Count).Select(i => flat.AsSpan(i * size, size).ToArray())]);
    }

    private IReadOnlyList<LabelProbability> Top(float[] probabilities, int topK) =>
        [.. probabilities.Select((p, i) => new LabelProbability(Package.Labels[i], p))
            .OrderByDescending(l => l.Probability).ThenBy(l => l.Label, StringComparer.Ordinal).Take(Math.Max(1, topK))];

    public void Dispose() => Backbone.Dispose();
}
