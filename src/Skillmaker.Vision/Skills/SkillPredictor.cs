using SkiaSharp;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Vision.Skills;

/// <summary>A label and its probability.</summary>
public readonly record struct LabelProbability(string Label, float Probability);

/// <summary>Every label's probability (in the package's label order) and the out-of-distribution score
/// with its threshold (both null when the package has no open-set scorer).</summary>
public sealed record SkillScores(float[] Probabilities, float? Ood, float? OodThreshold)
{
    /// <summary>True when the image lies further from the training data than the calibrated threshold.</summary>
    public bool OutOfDistribution => Ood > OodThreshold;
}

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
    private SkillPredictor(SkillPackage package, Backbone backbone, IHead head, OpenSetScorer? openSet)
    {
        Package = package;
        Backbone = backbone;
        Head = head;
        OpenSet = openSet;
    }

    public SkillPackage Package { get; }
    public Backbone Backbone { get; }
    public IHead Head { get; }
    /// <summary>The out-of-distribution scorer; null when the package has none.</summary>
    public OpenSetScorer? OpenSet { get; }

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
            var openSet = package.OpenSetBytes is { } bytes ? OpenSetScorer.Deserialize(bytes) : null;
            if (openSet is not null && openSet.Dimension != info.Backbone.EmbeddingSize)
                throw new Common.SkillmakerException($"The open-set file of {info.Name} v{info.Version} is for {openSet.Dimension}-dimensional embeddings; the backbone gives {info.Backbone.EmbeddingSize}.");
            return new SkillPredictor(package, backbone, HeadFactory.Load(info.Head.Type, package.HeadBytes, info.Labels.Count), openSet);
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

    public float[][] ProbabilitiesBatch(IReadOnlyList<SKBitmap> images) => images.Count == 0 ? [] : Head.Predict(Embeddings(images));

    /// <summary>Probabilities and the out-of-distribution score of one image, from one backbone run.</summary>
    public SkillScores Score(SKBitmap image)
    {
        var embeddings = Embeddings([image]);
        var probabilities = Head.Predict(embeddings)[0];
        return OpenSet is { } scorer
            ? new SkillScores(probabilities, scorer.Score(embeddings)[0], Package.Info.OpenSet!.Threshold)
            : new SkillScores(probabilities, null, null);
    }

    /// <summary>The embedding of each image as the head was evaluated on it: the backbone's, or with
    /// test-time hflip the mean of the image's and its mirror image's (one backbone run for both).</summary>
    public float[][] Embeddings(IReadOnlyList<SKBitmap> images)
    {
        if (images.Count == 0) return [];
        var flip = Package.Info.TestTime == "hflip";
        var views = flip ? 2 : 1;
        var per = Backbone.Preprocessor.TensorLength;
        var input = new float[images.Count * views * per];
        void Write(int i)
        {
            Backbone.Preprocessor.Write(images[i], input.AsSpan(i * views * per, per));
            if (!flip) return;
            using var mirror = Mirror(images[i]);
            Backbone.Preprocessor.Write(mirror, input.AsSpan((i * views + 1) * per, per));
        }
        if (images.Count == 1) Write(0);
        else Parallel.For(0, images.Count, Write);
        var flat = Backbone.Run(input, images.Count * views);
        var size = Backbone.EmbeddingSize;
        return [.. Enumerable.Range(0, images.Count).Select(i =>
        {
            var vector = flat.AsSpan(i * views * size, size).ToArray();
            if (flip)
            {
                var mirrored = flat.AsSpan((i * views + 1) * size, size);
                for (var j = 0; j < size; j++) vector[j] = (vector[j] + mirrored[j]) / 2;
            }
            return vector;
        })];
    }

    private static SKBitmap Mirror(SKBitmap bitmap)
    {
        var result = new SKBitmap(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(result);
        canvas.Scale(-1, 1, bitmap.Width / 2f, 0);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default);
        return result;
    }

    /// <summary>The <paramref name="topK"/> most probable labels of <paramref name="probabilities"/>, most probable first.</summary>
    public IReadOnlyList<LabelProbability> Top(float[] probabilities, int topK) =>
        [.. probabilities.Select((p, i) => new LabelProbability(Package.Labels[i], p))
            .OrderByDescending(l => l.Probability).ThenBy(l => l.Label, StringComparer.Ordinal).Take(Math.Max(1, topK))];

    public void Dispose() => Backbone.Dispose();
}
