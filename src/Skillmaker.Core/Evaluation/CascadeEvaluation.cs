namespace Skillmaker.Evaluation;

/// <summary>One stage's answer for one photo, against what it should have said.</summary>
public sealed record StageOutcome(string Skill, int Version, string? Truth, string Answer, bool Correct, bool Abstained, bool TruthInOptions);

/// <summary>What the whole stack said about one photo. <see cref="Outcome"/>: "correct" (every stage the
/// true path needs answered right), "abstained" (right until a stage abstained), "wrong", "missed" (no
/// vehicle found in a vehicle photo), "no-vehicle" (correctly none), "false-vehicle".</summary>
public sealed record CascadePhotoResult(string Path, string? Label, bool VehicleFound, IReadOnlyList<StageOutcome> Stages, string Outcome, double LatencyMs);

public sealed record CascadeStageMetrics(string Skill, int Reached, int WithTruth, int Correct, int Abstained, int OptionsHit)
{
    /// <summary>Right answers among photos that reached the stage with a known truth.</summary>
    public double Accuracy => WithTruth == 0 ? 0 : (double)Correct / WithTruth;
}

/// <summary>The test harness's verdict on the whole stack (detector → cascade) for a labelled photo set.</summary>
public sealed record CascadeEvaluation
{
    /// <summary>"in-process" or the server's URL.</summary>
    public required string Via { get; init; }
    /// <summary>The photos: "dataset NAME (manifest …)" or "photos FOLDER"; null when not said.</summary>
    public string? Set { get; init; }
    /// <summary>Photos left out because a cascade skill trained on them, with why ("id: reason").</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];
    public required int Photos { get; init; }
    public required int VehiclePhotos { get; init; }
    public required int VehicleFound { get; init; }
    public required int NoVehiclePhotos { get; init; }
    public required int FalseVehicles { get; init; }
    public required IReadOnlyList<CascadeStageMetrics> Stages { get; init; }
    public required int EndToEndCorrect { get; init; }
    public required int EndToEndAbstained { get; init; }
    /// <summary>Vehicle photos whose truth was among the options of the stage that abstained.</summary>
    public required int AbstainedWithTruthInOptions { get; init; }
    /// <summary>Correct / vehicle photos.</summary>
    public required double EndToEndAccuracy { get; init; }
    /// <summary>Share of vehicle photos where the cascade abstained on the true path.</summary>
    public double AbstainRate => VehiclePhotos == 0 ? 0 : (double)EndToEndAbstained / VehiclePhotos;
    /// <summary>Share of abstentions whose options held the truth (the user could still pick it).</summary>
    public double OptionsHitRate => EndToEndAbstained == 0 ? 0 : (double)AbstainedWithTruthInOptions / EndToEndAbstained;
    public required double LatencyP50Ms { get; init; }
    public required double LatencyP95Ms { get; init; }
    public required IReadOnlyList<CascadePhotoResult> Results { get; init; }
}

/// <summary>The cascade evaluated twice on the same photos, interleaved photo by photo: once as production
/// serves it and once with <see cref="Skill"/>'s candidate version swapped in. The gate's <c>cascade</c>
/// check reads <see cref="EndToEnd"/>: the paired difference in end-to-end correctness on the vehicle photos
/// (candidate − production), with the exact interval that goes with McNemar's test.</summary>
public sealed record CascadeComparison
{
    public required string Skill { get; init; }
    public required int CandidateVersion { get; init; }
    public required int ProductionVersion { get; init; }
    /// <summary>The evaluation set, e.g. "dataset cars-test (24 photos)" or "photos /data/cascade-set".</summary>
    public required string Set { get; init; }
    public required CascadeEvaluation Candidate { get; init; }
    public required CascadeEvaluation Production { get; init; }
    /// <summary>Vehicle photos compared (leaked ones already left out).</summary>
    public required int Items { get; init; }
    /// <summary>Photos left out because a cascade skill trained on them (image, photo, near-duplicate or set).</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];
    public required int CandidateOnlyRight { get; init; }
    public required int ProductionOnlyRight { get; init; }
    public required double McNemarP { get; init; }
    public required Interval EndToEnd { get; init; }
    /// <summary>Photos whose end-to-end outcome differs: (photo, production outcome, candidate outcome).</summary>
    public IReadOnlyList<ChangedOutcome> Changed { get; init; } = [];
}

/// <summary>One photo whose cascade outcome changed with the candidate swapped in.</summary>
public sealed record ChangedOutcome(string Photo, string? Label, string Production, string Candidate);

/// <summary>Shadow answers of a staging version beside one production version, as the server counted them.</summary>
public sealed record ShadowAgreement(string Skill, int StagingVersion, int ProductionVersion, int Agree, int Disagree)
{
    public int Answers => Agree + Disagree;
    public double Agreement => Answers == 0 ? 0 : (double)Agree / Answers;
}
