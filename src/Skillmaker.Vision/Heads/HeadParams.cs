using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Vision.Heads;

/// <summary>Softmax (multinomial logistic) regression on standardised embeddings (ML.NET
/// LbfgsMaximumEntropy or SdcaMaximumEntropy).</summary>
public sealed record LogisticParams
{
    /// <summary>lbfgs (default) or sdca.</summary>
    public string Trainer { get; init; } = "lbfgs";
    /// <summary>L2 regularisation weight. Default: 1 for lbfgs (cross-validation on the cars training
    /// split was flat between 0.1 and 10); for sdca, ML.NET derives it from the data.</summary>
    public double? L2 { get; init; }
    /// <summary>L1 regularisation weight (lbfgs only). Default 0.</summary>
    public double L1 { get; init; }
    /// <summary>Optimiser iterations (lbfgs) or passes over the data (sdca). Default 200.</summary>
    public int MaxIterations { get; init; } = 200;
    /// <summary>Standardise each embedding dimension (mean 0, variance 1) first. Default true.</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary>Gradient-boosted trees (ML.NET LightGbm multiclass, softmax objective).</summary>
public sealed record LightGbmParams
{
    /// <summary>Boosting rounds. Default 100.</summary>
    public int Iterations { get; init; } = 100;
    /// <summary>Leaves per tree. Default 15.</summary>
    public int Leaves { get; init; } = 15;
    /// <summary>Shrinkage. Default 0.1.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Smallest number of training rows in a leaf. Default 5.</summary>
    public int MinExamplesPerLeaf { get; init; } = 5;
}

/// <summary>k nearest training embeddings by cosine similarity, voting.</summary>
public sealed record KnnParams
{
    /// <summary>Neighbours that vote. Default 5.</summary>
    public int K { get; init; } = 5;
    /// <summary>similarity (default: votes weighted by cosine similarity) or uniform.</summary>
    public string Weighting { get; init; } = "similarity";
}

/// <summary>Gaussian naive Bayes: per-class mean and variance of each embedding dimension.</summary>
public sealed record NaiveBayesParams
{
    /// <summary>Added to every variance, as a share of the largest dimension variance. Default 0.01.</summary>
    public double VarSmoothing { get; init; } = 0.01;
    /// <summary>empirical (default: class shares of the training rows) or uniform.</summary>
    public string Priors { get; init; } = "empirical";
}

/// <summary>Shrinkage linear discriminant analysis: class means and one shared covariance shrunk towards
/// a scaled identity.</summary>
public sealed record LdaParams
{
    /// <summary>Weight of the scaled identity in the shared covariance, in (0, 1]. Default: chosen by 5-fold
    /// cross-validation on the training rows from 0.1, 0.2 … 0.9.</summary>
    public double? Shrinkage { get; init; }
    /// <summary>l2 (default: each embedding scaled to unit length first) or none.</summary>
    public string Normalize { get; init; } = "l2";
    /// <summary>empirical (default: class shares of the training rows) or uniform.</summary>
    public string Priors { get; init; } = "empirical";
}

/// <summary>One-versus-all linear SVMs (ML.NET LinearSvm, Pegasos) on standardised embeddings, with
/// Platt-calibrated, normalised scores as probabilities.</summary>
public sealed record LinearSvmParams
{
    /// <summary>Passes over the data. Default 30.</summary>
    public int Iterations { get; init; } = 30;
    /// <summary>Regularisation. Default 0.001.</summary>
    public double Lambda { get; init; } = 0.001;
    /// <summary>Standardise each embedding dimension first. Default true.</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary>Reads and checks a head's parameters; errors carry the field path.</summary>
public static class HeadParams
{
    /// <summary>The typed parameters of <paramref name="head"/>, defaults filled in.</summary>
    public static object Parse(HeadSpec head, string field = "network.head")
    {
        var errors = Validate(head, field, out var parsed);
        return errors.Count == 0 ? parsed! : throw new SkillmakerException(string.Join("\n", errors));
    }

    public static IReadOnlyList<string> Validate(HeadSpec head, string field, out object? parsed)
    {
        parsed = null;
        var type = head.Type switch
        {
            "logistic" => typeof(LogisticParams),
            "lightgbm" => typeof(LightGbmParams),
            "knn" => typeof(KnnParams),
            "linear-svm" => typeof(LinearSvmParams),
            "naive-bayes" => typeof(NaiveBayesParams),
            "lda" => typeof(LdaParams),
            _ => null,
        };
        if (type is null)
            return [$"{field}.type: '{head.Type}' is not a head; allowed: {string.Join(", ", HeadSpec.Types)}"];
        try
        {
            parsed = head.Params is { ValueKind: not JsonValueKind.Null } p
                ? p.Deserialize(type, SkillJson.Strict) ?? Activator.CreateInstance(type)
                : Activator.CreateInstance(type);
        }
        catch (JsonException ex)
        {
            var allowed = string.Join(", ", type.GetProperties().Select(pr => JsonNamingPolicy.CamelCase.ConvertName(pr.Name)));
            var at = ex.Path is { Length: > 1 } path ? "." + path.TrimStart('$', '.') : "";
            return [$"{field}.params{at}: {SkillJson.Plain(ex)} ({head.Type} takes: {allowed})"];
        }
        if (parsed is LogisticParams { Trainer: "lbfgs", L2: null } lbfgs) parsed = lbfgs with { L2 = 1 };
        var errors = new List<string>();
        var f = $"{field}.params";
        switch (parsed)
        {
            case LogisticParams l:
                if (l.Trainer is not ("lbfgs" or "sdca")) errors.Add($"{f}.trainer: '{l.Trainer}' is not a trainer; allowed: lbfgs, sdca");
                if (l.L2 is < 0) errors.Add($"{f}.l2: {l.L2} must be 0 or more");
                if (l.L1 < 0) errors.Add($"{f}.l1: {l.L1} must be 0 or more");
                if (l.MaxIterations is < 1 or > 100_000) errors.Add($"{f}.maxIterations: {l.MaxIterations} is outside 1..100000");
                break;
            case LightGbmParams g:
                if (g.Iterations is < 1 or > 100_000) errors.Add($"{f}.iterations: {g.Iterations} is outside 1..100000");
                if (g.Leaves is < 2 or > 131_072) errors.Add($"{f}.leaves: {g.Leaves} is outside 2..131072");
                if (!(g.LearningRate > 0 && g.LearningRate <= 1)) errors.Add($"{f}.learningRate: {g.LearningRate} is outside (0, 1]");
                if (g.MinExamplesPerLeaf < 1) errors.Add($"{f}.minExamplesPerLeaf: {g.MinExamplesPerLeaf} must be 1 or more");
                break;
            case KnnParams k:
                if (k.K is < 1 or > 1000) errors.Add($"{f}.k: {k.K} is outside 1..1000");
                if (k.Weighting is not ("similarity" or "uniform")) errors.Add($"{f}.weighting: '{k.Weighting}' is not a weighting; allowed: similarity, uniform");
                break;
            case NaiveBayesParams b:
                if (!(b.VarSmoothing > 0 && b.VarSmoothing <= 10)) errors.Add($"{f}.varSmoothing: {b.VarSmoothing} is outside (0, 10]");
                if (b.Priors is not ("empirical" or "uniform")) errors.Add($"{f}.priors: '{b.Priors}' is not allowed; use empirical or uniform");
                break;
            case LdaParams a:
                if (a.Shrinkage is { } shrinkage && !(shrinkage > 0 && shrinkage <= 1)) errors.Add($"{f}.shrinkage: {a.Shrinkage} is outside (0, 1]");
                if (a.Normalize is not ("l2" or "none")) errors.Add($"{f}.normalize: '{a.Normalize}' is not allowed; use l2 or none");
                if (a.Priors is not ("empirical" or "uniform")) errors.Add($"{f}.priors: '{a.Priors}' is not allowed; use empirical or uniform");
                break;
            case LinearSvmParams s:
                if (s.Iterations is < 1 or > 100_000) errors.Add($"{f}.iterations: {s.Iterations} is outside 1..100000");
                if (!(s.Lambda > 0)) errors.Add($"{f}.lambda: {s.Lambda} must be positive");
                break;
        }
        return errors;
    }

    /// <summary>The parameters as JSON with defaults filled in (recorded in skill.json).</summary>
    public static JsonElement Effective(HeadSpec head) => JsonSerializer.SerializeToElement(Parse(head), Parse(head).GetType(), SkillJson.Options);
}
