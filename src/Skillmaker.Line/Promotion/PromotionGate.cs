using System.Globalization;
using Skillmaker.Evaluation;

namespace Skillmaker.Promotion;

/// <summary>A new version goes live only when it is measurably better and no slower, both measured on
/// the same test data on the same machine.</summary>
public static class PromotionGate
{
    public static GateDecision Decide(EvaluationSummary candidate, EvaluationSummary? production, GateSettings gate)
    {
        if (production is null)
            return new GateDecision(true, true, [],
                $"First promotion of {candidate.Skill}: there is no production version to compare with, so v{candidate.Version} passes (accuracy {Pct(candidate.Accuracy)}, p95 {Ms(candidate.LatencyP95Ms)}).");
        if (production.ManifestId != candidate.ManifestId)
            throw new Common.SkillmakerException($"Candidate and production were evaluated on different manifests ({candidate.ManifestId[..12]} vs {production.ManifestId[..12]}); evaluate both on the same test data.");

        var neededAccuracy = production.Accuracy + gate.MinAccuracyDelta;
        var accuracy = new GateCheck("accuracy", candidate.Accuracy >= neededAccuracy - 1e-12, candidate.Accuracy, neededAccuracy,
            $"accuracy {Pct(candidate.Accuracy)} vs production v{production.Version} {Pct(production.Accuracy)} + required gain {Pct(gate.MinAccuracyDelta)} = {Pct(neededAccuracy)}");
        var latencyLimit = production.LatencyP95Ms * (1 + gate.LatencyTolerance);
        var latency = new GateCheck("latency-p95", candidate.LatencyP95Ms <= latencyLimit, candidate.LatencyP95Ms, latencyLimit,
            $"p95 latency {Ms(candidate.LatencyP95Ms)} vs production {Ms(production.LatencyP95Ms)} × (1 + {gate.LatencyTolerance.ToString("0.##", CultureInfo.InvariantCulture)}) = {Ms(latencyLimit)}");
        var checks = new[] { accuracy, latency };
        var failed = checks.Where(c => !c.Passed).ToList();
        var reason = failed.Count == 0
            ? $"v{candidate.Version} is at least as accurate as required ({Pct(candidate.Accuracy)} ≥ {Pct(neededAccuracy)}) and no slower than allowed ({Ms(candidate.LatencyP95Ms)} ≤ {Ms(latencyLimit)}): promoted."
            : $"v{candidate.Version} was not promoted: " + string.Join("; ", failed.Select(f => f.Name == "accuracy"
                ? $"it is not accurate enough ({Pct(f.Candidate)} < {Pct(f.Limit)})"
                : $"it is too slow ({Ms(f.Candidate)} > {Ms(f.Limit)})")) + ". A person should look at why; the version is marked 'needs investigation'.";
        return new GateDecision(failed.Count == 0, false, checks, reason);
    }

    private static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    private static string Ms(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
