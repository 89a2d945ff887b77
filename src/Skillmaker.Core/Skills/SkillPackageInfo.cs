using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Evaluation;

namespace Skillmaker.Skills;

/// <summary>A skill version's name: <c>NAME@VERSION</c>, e.g. <c>car-variants@3</c>.</summary>
public readonly record struct SkillRef(string Name, int Version)
{
    public static SkillRef Parse(string text, string what = "skill")
    {
        var at = text.LastIndexOf('@');
        if (at <= 0 || !int.TryParse(text.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 1)
            throw new SkillmakerException($"{what} '{text}' is not NAME@VERSION (e.g. car-variants@3; see `skillmaker skills list`).");
        return new SkillRef(text[..at], version);
    }

    public override string ToString() => $"{Name}@{Version}";
}

/// <summary>skill.json: everything needed to run and to trust one immutable skill version. The package
/// folder holds it, the head file and the evaluation; only the backbone lives outside (by path and
/// sha256).</summary>
public sealed record SkillPackageInfo
{
    public const int CurrentFormatVersion = 1;
    public const string FileName = "skill.json";
    public const string EvaluationFileName = "evaluation.json";
    public const string ReportFileName = "report.pdf";
    public const string ConfigFileName = "skill-config.json";

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string Name { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Class labels in the head's output order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    public required HeadInfo Head { get; init; }
    public required BackboneInfo Backbone { get; init; }
    public required PreprocessingSpec Preprocessing { get; init; }
    /// <summary>Test-time augmentation: hflip (the embedding is the mean of the image's and its mirror
    /// image's) or none (the default, also for packages from before it existed).</summary>
    public string TestTime { get; init; } = "none";
    public required string ManifestId { get; init; }
    public required string Dataset { get; init; }
    /// <summary>Git commit of the code that trained it ("unknown" outside git).</summary>
    public required string CodeVersion { get; init; }
    /// <summary>SHA-256 of the effective config (definition inlined, defaults applied).</summary>
    public required string ConfigHash { get; init; }
    public required PackageMetrics Metrics { get; init; }
    public required TrainingInfo Training { get; init; }
    /// <summary>Where <see cref="Metrics"/> come from: the manifest's test split or k-fold cross-validation
    /// over the training items. Null in packages written before this was recorded (test split).</summary>
    public EvaluationMethodInfo? EvaluatedBy { get; init; }
    /// <summary>The runtime profile it was trained and measured with.</summary>
    public required string Profile { get; init; }
    public required ProfileSpec Runtime { get; init; }
    public GateSettings Gate { get; init; } = new();
    public ServingSpec Serving { get; init; } = new();
    /// <summary>The out-of-distribution scorer and its calibrated threshold; null when the config says
    /// <c>serving.openSet: none</c> (or the package predates open-set rejection).</summary>
    public OpenSetInfo? OpenSet { get; init; }
    /// <summary>The config's notify section as written (read by promote).</summary>
    public JsonElement? Notify { get; init; }
}

public sealed record HeadInfo
{
    public required string Type { get; init; }
    /// <summary>File name inside the package.</summary>
    public required string File { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The parameters with defaults filled in.</summary>
    public required JsonElement Params { get; init; }
}

/// <summary>Open-set rejection recorded in a package: answer when <c>score ≤ Threshold</c>.</summary>
public sealed record OpenSetInfo
{
    /// <summary>mahalanobis or knn.</summary>
    public required string Method { get; init; }
    /// <summary>File name inside the package.</summary>
    public required string File { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The method's parameters (k, shrinkage, root).</summary>
    public required JsonElement Params { get; init; }
    /// <summary>The target share of known-class images answered (serving.coverage).</summary>
    public required double Coverage { get; init; }
    /// <summary>Scores above this are out-of-distribution.</summary>
    public required float Threshold { get; init; }
    /// <summary>How the threshold was set, e.g. "10-fold cross-fitting on 273 training images".</summary>
    public required string Calibration { get; init; }
    /// <summary>Share of the test split answered at the threshold (the coverage actually reached on held-out images).</summary>
    public required double TestCoverage { get; init; }
    public required int TestImages { get; init; }
}

public sealed record BackboneInfo
{
    /// <summary>Absolute path at training time.</summary>
    public required string Path { get; init; }
    public required string Sha256 { get; init; }
    public required string Input { get; init; }
    public required string Output { get; init; }
    public required int EmbeddingSize { get; init; }
}

public sealed record PackageMetrics
{
    public required int TestImages { get; init; }
    public required double Accuracy { get; init; }
    public required double BalancedAccuracy { get; init; }
    public required IReadOnlyList<double> TopK { get; init; }
    public required double CalibrationError { get; init; }
    public required double LatencyP50Ms { get; init; }
    public required double LatencyP95Ms { get; init; }

    public static PackageMetrics From(EvaluationSummary e) => new()
    {
        TestImages = e.Images,
        Accuracy = e.Accuracy,
        BalancedAccuracy = e.BalancedAccuracy,
        TopK = e.TopK,
        CalibrationError = e.CalibrationError,
        LatencyP50Ms = e.LatencyP50Ms,
        LatencyP95Ms = e.LatencyP95Ms,
    };
}

public sealed record TrainingInfo
{
    public required int TrainImages { get; init; }
    /// <summary>Training rows: each training image plus its augmented copies.</summary>
    public required int TrainExamples { get; init; }
    public required int CopiesPerImage { get; init; }
    public required IReadOnlyList<Augmentation.AugmentationStep> AugmentationSteps { get; init; }
    public required long Seed { get; init; }
    public IReadOnlyDictionary<string, double>? ClassWeights { get; init; }
}

/// <summary>The <c>evaluation</c> section of a skill config.</summary>
public sealed record EvaluationSpec
{
    /// <summary>k-fold cross-validation over the training items (group-aware: a set never straddles two
    /// folds), k in 2..20. Gives the estimate with a spread, and lets a dataset with <c>testFraction: 0</c>
    /// train on every labelled item. Default null: evaluate on the test split only.</summary>
    public int? Folds { get; init; }
}

/// <summary>How a package's figures were measured.</summary>
public sealed record EvaluationMethodInfo
{
    public const string TestSplit = "test-split";
    public const string CrossValidation = "cross-validation";

    /// <summary><c>test-split</c> or <c>cross-validation</c>: what <see cref="SkillPackageInfo.Metrics"/> are.</summary>
    public required string Method { get; init; }
    public int? Folds { get; init; }
    /// <summary>Cross-validation top-1 accuracy: mean and standard deviation over folds, and each fold's.</summary>
    public double? CrossValidationAccuracy { get; init; }
    public double? CrossValidationAccuracyStd { get; init; }
    public IReadOnlyList<double>? FoldAccuracies { get; init; }
    /// <summary>Items scored by cross-validation (each once, by the fold that did not train on it).</summary>
    public int? CrossValidationImages { get; init; }
}
