using System.Diagnostics;
using Skillmaker.Common;
using Skillmaker.Serving;

namespace Skillmaker.Evaluation;

/// <summary>What the test harness runs: the photos folder (one sub-folder per label), the serving config
/// (default: the workspace's), and optionally a running server to ask instead of this process.</summary>
public sealed record CascadeRequest(string Photos, string? ServingConfigPath = null, Uri? Url = null, string? ApiKey = null);

/// <summary>A photo of a labelled test set: its fine-grained label (e.g. a variant), or null for a photo
/// with no vehicle in it.</summary>
public sealed record LabelledPhoto(string Path, string? Label);

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
    public required double LatencyP50Ms { get; init; }
    public required double LatencyP95Ms { get; init; }
    public required IReadOnlyList<CascadePhotoResult> Results { get; init; }
}

/// <summary>Runs labelled photos through detector → cascade exactly as <c>serve</c> answers them (in
/// process or over HTTP) and scores every stage against the truth each stage's skill would give: a
/// stage's truth is the class of its skill's dataset definition that holds the photo's label.</summary>
public sealed class CascadeEvaluator(ServingConfig config, IReadOnlyDictionary<string, Func<string, string?>> stageTruth)
{
    public async Task<CascadeEvaluation> EvaluateAsync(IReadOnlyList<LabelledPhoto> photos, string via,
        Func<byte[], CancellationToken, Task<ClassifyAnswer>> classify, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (photos.Count == 0) throw new SkillmakerException("No labelled photos to evaluate the cascade on.");
        if (config.Cascade is null) throw new SkillmakerException("The serving config has no cascade to evaluate.");
        var results = new List<CascadePhotoResult>(photos.Count);
        foreach (var photo in photos)
        {
            var bytes = await File.ReadAllBytesAsync(photo.Path, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var answer = await classify(bytes, cancellationToken);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            results.Add(Score(photo, answer, latency));
            progress?.Report((results.Count, photos.Count));
        }
        return Summarize(via, results);
    }

    private CascadePhotoResult Score(LabelledPhoto photo, ClassifyAnswer answer, double latency)
    {
        if (photo.Label is null)
            return new CascadePhotoResult(photo.Path, null, answer.Vehicle.Detected, [], answer.Vehicle.Detected ? "false-vehicle" : "no-vehicle", latency);
        if (!answer.Vehicle.Detected)
            return new CascadePhotoResult(photo.Path, photo.Label, false, [], "missed", latency);
        var stages = new List<StageOutcome>();
        var outcome = "correct";
        // Walk the true path: the stage the cascade should run next is chosen by the true class.
        var expected = config.Cascade;
        foreach (var given in answer.Cascade)
        {
            var truth = stageTruth.TryGetValue(given.Skill, out var of) ? of(photo.Label) : null;
            var onPath = expected is not null && expected.Skill == given.Skill;
            var correct = onPath && truth is not null && given.Label == truth && !given.Abstained;
            stages.Add(new StageOutcome(given.Skill, given.SkillVersion, truth, given.Label, truth is not null && given.Label == truth, given.Abstained,
                truth is not null && given.Options.Any(o => o.Label == truth)));
            if (outcome == "correct")
            {
                if (given.Abstained) outcome = truth is not null && onPath ? "abstained" : "wrong";
                else if (!correct) outcome = "wrong";
            }
            expected = truth is not null && expected is not null && expected.Next.TryGetValue(truth, out var next) ? next : null;
        }
        // The cascade stopped before the true path ended (and not by abstaining): that is a wrong turn.
        if (outcome == "correct" && expected is not null && stageTruth.TryGetValue(expected.Skill, out var deeper) && deeper(photo.Label) is not null)
            outcome = "wrong";
        return new CascadePhotoResult(photo.Path, photo.Label, true, stages, outcome, latency);
    }

    private static CascadeEvaluation Summarize(string via, List<CascadePhotoResult> results)
    {
        var vehicle = results.Where(r => r.Label is not null).ToList();
        var none = results.Where(r => r.Label is null).ToList();
        var stages = results.SelectMany(r => r.Stages).GroupBy(s => s.Skill, StringComparer.Ordinal)
            .Select(g => new CascadeStageMetrics(g.Key, g.Count(), g.Count(s => s.Truth is not null), g.Count(s => s.Correct), g.Count(s => s.Abstained), g.Count(s => s.TruthInOptions)))
            .ToList();
        var latencies = results.Select(r => r.LatencyMs).Order().ToArray();
        var correct = vehicle.Count(r => r.Outcome == "correct");
        return new CascadeEvaluation
        {
            Via = via,
            Photos = results.Count,
            VehiclePhotos = vehicle.Count,
            VehicleFound = vehicle.Count(r => r.VehicleFound),
            NoVehiclePhotos = none.Count,
            FalseVehicles = none.Count(r => r.VehicleFound),
            Stages = stages,
            EndToEndCorrect = correct,
            EndToEndAbstained = vehicle.Count(r => r.Outcome == "abstained"),
            AbstainedWithTruthInOptions = vehicle.Count(r => r.Outcome == "abstained" && r.Stages.Count > 0 && r.Stages[^1].TruthInOptions),
            EndToEndAccuracy = vehicle.Count == 0 ? 0 : (double)correct / vehicle.Count,
            LatencyP50Ms = EvaluationMetrics.Percentile(latencies, 0.5),
            LatencyP95Ms = EvaluationMetrics.Percentile(latencies, 0.95),
            Results = results,
        };
    }

    /// <summary>A labelled photo folder: each sub-folder's name is the label of the photos in it; photos
    /// in a sub-folder named <paramref name="noVehicleFolder"/> have no vehicle.</summary>
    public static IReadOnlyList<LabelledPhoto> FromFolder(string folder, string noVehicleFolder = "no-vehicle")
    {
        if (!Directory.Exists(folder))
            throw new InvalidSettingException(folder, "photos", "is not a folder; expected a folder with one sub-folder per label (and 'no-vehicle' for photos without one)");
        string[] extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp"];
        var photos = Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.EnumerateFiles(d).Where(f => extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)
                .Select(f => new LabelledPhoto(f, System.IO.Path.GetFileName(d) == noVehicleFolder ? null : System.IO.Path.GetFileName(d))))
            .ToList();
        if (photos.Count == 0)
            throw new InvalidSettingException(folder, "photos", "has no photos in sub-folders; expected FOLDER/LABEL/photo.jpg (and FOLDER/no-vehicle/photo.jpg)");
        return photos;
    }

    /// <summary>Percent with one decimal, for reports.</summary>
    public static string Percent(int part, int whole) => whole == 0 ? "n/a" : Numbers.Percent((double)part / whole);
}
