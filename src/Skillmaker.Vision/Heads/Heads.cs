using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Vision.Heads;

/// <summary>A trained last layer: class probabilities from embeddings. Implementations are
/// thread-safe.</summary>
public interface IHead
{
    string Type { get; }
    int Classes { get; }

    /// <summary>One probability vector (summing to 1, in label order) per embedding.</summary>
    float[][] Predict(IReadOnlyList<float[]> embeddings);
}

/// <summary>Training rows: embeddings with their class index (0-based), optional per-row weight, and
/// optional group per row (rows of one image and its augmented copies share a group; heads that
/// cross-validate keep a group in one fold; without groups every row is its own).</summary>
public sealed record HeadTrainingData(IReadOnlyList<float[]> Features, IReadOnlyList<int> Labels, int Classes, IReadOnlyList<float>? Weights = null, IReadOnlyList<int>? Groups = null)
{
    public int Dimension => Features.Count == 0 ? 0 : Features[0].Length;
}

/// <summary>A head and the bytes of its file (byte-identical for the same data, parameters and seed);
/// <paramref name="Params"/>: the effective parameters when training chose some (e.g. by cross-validation).</summary>
public sealed record TrainedHead(IHead Head, byte[] File, string FileName, JsonElement? Params = null);

/// <summary>Trains and loads every head type.</summary>
public static class HeadFactory
{
    public const string MlNetFileName = "head.mlnet.zip";
    public const string KnnFileName = "head.knn";
    public const string NaiveBayesFileName = "head.gnb";
    public const string LdaFileName = "head.lda";

    /// <param name="seed">Seeds every random choice the trainer makes.</param>
    public static TrainedHead Train(HeadSpec spec, HeadTrainingData data, int seed)
    {
        if (data.Features.Count == 0) throw new SkillmakerException("No training rows: the manifest's train split is empty.");
        var classesSeen = data.Labels.Distinct().Count();
        if (classesSeen < 2) throw new SkillmakerException($"Training rows cover {classesSeen} class(es); a head needs at least two.");
        var parameters = HeadParams.Parse(spec);
        if (parameters is KnnParams k)
        {
            var knn = KnnHead.Train(data, k);
            return new TrainedHead(knn, knn.Serialize(), KnnFileName);
        }
        if (parameters is NaiveBayesParams b)
        {
            var bayes = NaiveBayesHead.Train(data, b);
            return new TrainedHead(bayes, bayes.Serialize(), NaiveBayesFileName);
        }
        if (parameters is LdaParams a)
        {
            var lda = LdaHead.Train(data, a);
            var effective = JsonSerializer.SerializeToElement(new
            {
                shrinkage = lda.Shrinkage,
                normalize = a.Normalize,
                priors = a.Priors,
                shrinkageBy = a.Shrinkage is null ? "cross-validation" : "config",
                crossValidationAccuracy = lda.CrossValidation.Count == 0 ? null : lda.CrossValidation.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => Math.Round(kv.Value, 4)),
            }, SkillJson.Options);
            return new TrainedHead(lda, lda.Serialize(), LdaFileName, effective);
        }
        return MlNetHead.Train(spec.Type, parameters, data, seed);
    }

    public static IHead Load(string type, byte[] file, int classes) => type switch
    {
        "knn" => KnnHead.Deserialize(file, classes),
        "naive-bayes" => NaiveBayesHead.Deserialize(file, classes),
        "lda" => LdaHead.Deserialize(file, classes),
        "logistic" or "lightgbm" or "linear-svm" => MlNetHead.Load(type, file, classes),
        _ => throw new SkillmakerException($"Head type '{type}' is unknown; this Skillmaker reads: {string.Join(", ", HeadSpec.Types)}."),
    };
}
