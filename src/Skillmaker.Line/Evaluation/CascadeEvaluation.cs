using System.Diagnostics;
using Skillmaker.Common;
using Skillmaker.Serving;

namespace Skillmaker.Evaluation;

/// <summary>What the test harness runs: a photos folder (one sub-folder per label) or a dataset definition
/// (role test: its items' photos, each labelled with its class), the serving config (default: the
/// workspace's), and optionally a running server to ask instead of this process.
/// <paramref name="ExcludeLeaked"/>: with a dataset, leave out photos a cascade skill trained on instead of refusing.</summary>
public sealed record CascadeRequest(string? Photos, string? ServingConfigPath = null, Uri? Url = null, string? ApiKey = null,
    Datasets.DatasetDefinition? Dataset = null, bool ExcludeLeaked = false);

/// <summary>A photo of a labelled test set: its label (e.g. a variant, or a class of the test set), or null
/// for a photo with no vehicle in it. <paramref name="ImageId"/>: the photo is a catalog image (read from the
/// blob store) and <paramref name="Path"/> only names it; null: <paramref name="Path"/> is a file.</summary>
public sealed record LabelledPhoto(string Path, string? Label, string? ImageId = null);

/// <summary>The photos a cascade is evaluated on and what was left out.</summary>
public sealed record CascadePhotoSet(string Description, IReadOnlyList<LabelledPhoto> Photos, IReadOnlyList<string> Excluded);

/// <summary>Runs labelled photos through detector → cascade exactly as <c>serve</c> answers them (in
/// process or over HTTP) and scores every stage against the truth each stage's skill would give: a
/// stage's truth is the class of its skill's dataset definition that holds the photo's label.</summary>
public sealed class CascadeEvaluator(ServingConfig config, IReadOnlyDictionary<string, Func<string, string?>> stageTruth)
{
    public async Task<CascadeEvaluation> EvaluateAsync(IReadOnlyList<LabelledPhoto> photos, string via,
        Func<byte[], CancellationToken, Task<ClassifyAnswer>> classify, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken,
        Func<string, CancellationToken, Task<byte[]>>? readImage = null) =>
        (await EvaluateManyAsync(photos, [(via, classify)], progress, readImage, cancellationToken))[0];

    /// <summary>Several stacks on the same photos, interleaved photo by photo (alternating which goes first,
    /// so machine load falls on each alike): what a paired comparison of two cascades needs.</summary>
    public async Task<IReadOnlyList<CascadeEvaluation>> EvaluateManyAsync(IReadOnlyList<LabelledPhoto> photos,
        IReadOnlyList<(string Via, Func<byte[], CancellationToken, Task<ClassifyAnswer>> Classify)> stacks,
        IProgress<(int Done, int Total)>? progress, Func<string, CancellationToken, Task<byte[]>>? readImage, CancellationToken cancellationToken)
    {
        if (photos.Count == 0) throw new SkillmakerException("No labelled photos to evaluate the cascade on.");
        if (config.Cascade is null) throw new SkillmakerException("The serving config has no cascade to evaluate.");
        var results = stacks.Select(_ => new List<CascadePhotoResult>(photos.Count)).ToList();
        for (var i = 0; i < photos.Count; i++)
        {
            var photo = photos[i];
            var bytes = photo.ImageId is { } id
                ? await (readImage ?? throw new InvalidOperationException("A catalog photo needs an image reader."))(id, cancellationToken)
                : await File.ReadAllBytesAsync(photo.Path, cancellationToken);
            var scored = new CascadePhotoResult[stacks.Count];
            for (var k = 0; k < stacks.Count; k++)
            {
                var which = i % 2 == 0 ? k : stacks.Count - 1 - k;
                var started = Stopwatch.GetTimestamp();
                var answer = await stacks[which].Classify(bytes, cancellationToken);
                scored[which] = Score(photo, answer, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            for (var k = 0; k < stacks.Count; k++) results[k].Add(scored[k]);
            progress?.Report((i + 1, photos.Count));
        }
        return [.. stacks.Select((s, k) => Summarize(s.Via, results[k]))];
    }

    /// <summary>Labels of a test set the cascade cannot score: its first stage has no truth for them (no class
    /// of that skill's definition holds them, and the skill has no class of that name).</summary>
    public IReadOnlyList<string> Unscorable(IEnumerable<string> labels) => config.Cascade is not { } root ? [] :
        [.. labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Where(l => !stageTruth.TryGetValue(root.Skill, out var truth) || truth(l) is null)];

    /// <summary>Candidate against production on the same photos: the paired difference of end-to-end
    /// correctness on the vehicle photos, with McNemar's exact test and its interval.</summary>
    public static CascadeComparison Compare(string skill, int candidateVersion, int productionVersion, string set,
        CascadeEvaluation candidate, CascadeEvaluation production, double confidence)
    {
        var pairs = candidate.Results.Zip(production.Results).Where(p => p.First.Label is not null).ToList();
        var onlyCandidate = pairs.Count(p => p.First.Outcome == "correct" && p.Second.Outcome != "correct");
        var onlyProduction = pairs.Count(p => p.First.Outcome != "correct" && p.Second.Outcome == "correct");
        return new CascadeComparison
        {
            Skill = skill, CandidateVersion = candidateVersion, ProductionVersion = productionVersion, Set = set,
            Candidate = candidate, Production = production, Items = pairs.Count, Excluded = candidate.Excluded,
            CandidateOnlyRight = onlyCandidate, ProductionOnlyRight = onlyProduction,
            McNemarP = PairedStatistics.McNemarExactP(onlyCandidate, onlyProduction),
            EndToEnd = pairs.Count == 0 ? new Interval(0, 0, 0, confidence) : PairedStatistics.ExactDelta(onlyCandidate, onlyProduction, pairs.Count, confidence),
            Changed = [.. pairs.Where(p => p.First.Outcome != p.Second.Outcome).Select(p => new ChangedOutcome(p.First.Path, p.First.Label, p.Second.Outcome, p.First.Outcome))],
        };
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
