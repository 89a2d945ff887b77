using System.Globalization;
using Skillmaker.Common;
using Skillmaker.Evaluation;

namespace Skillmaker.Promotion;

/// <summary>A new version goes live only when the paired evidence says it is accurate enough, loses no
/// class, and is no slower beyond measurement noise: candidate and production answered the same test
/// items on the same machine, interleaved, and every check reads a confidence interval of the
/// difference (see <see cref="GateSettings"/> for the rules and docs/training.md for why).</summary>
public static class PromotionGate
{
    private const double Epsilon = 1e-12;

    /// <param name="extra">Checks decided elsewhere on the same promotion (the cascade, shadow answers);
    /// they count like the others (a skipped one passes and says why).</param>
    public static GateDecision Decide(EvaluationSummary candidate, EvaluationSummary? production, PairedComparison? comparison, GateSettings gate,
        IReadOnlyList<GateCheck>? extra = null)
    {
        if (production is null || comparison is null)
            return new GateDecision(true, true, [],
                $"First promotion of {candidate.Skill}: there is no production version to compare with, so v{candidate.Version} passes (accuracy {Pct(candidate.Accuracy)}, p95 {Ms(candidate.LatencyP95Ms)}).");
        if (production.ManifestId != candidate.ManifestId)
            throw new Common.SkillmakerException($"Candidate and production were evaluated on different manifests ({candidate.ManifestId[..12]} vs {production.ManifestId[..12]}); evaluate both on the same test data.");
        var against = $"production v{production.Version}";
        var on = $"{comparison.Items} paired test items" + (comparison.Excluded.Count > 0 ? $" ({comparison.Excluded.Count} left out: seen in training)" : "");

        var checks = new List<GateCheck>();
        if (comparison.IdenticalAnswers)
        {
            checks.Add(new GateCheck("accuracy", gate.OnNoChange == NoChangeOutcome.Pass, comparison.CandidateAccuracy, comparison.ProductionAccuracy,
                $"no change: the same answer as {against} on all {on}"));
        }
        else
        {
            checks.Add(AccuracyCheck("accuracy", comparison.Accuracy, comparison, gate, against, on));
            if (gate.BalancedAccuracy)
                checks.Add(AccuracyCheck("balanced-accuracy", comparison.BalancedAccuracy, comparison, gate, against, on));
            if (gate.MaxClassDrop is not null || gate.ProtectedClasses.Count > 0)
                checks.Add(ClassCheck(comparison, gate));
        }
        checks.Add(LatencyCheck(comparison, gate, against));
        checks.AddRange(extra ?? []);

        var failed = checks.Where(c => !c.Passed).ToList();
        if (comparison.IdenticalAnswers && gate.OnNoChange == NoChangeOutcome.Hold)
            return new GateDecision(false, false, checks,
                $"v{candidate.Version} answers exactly as {against} on all {on}: no change, so production stays (gate.onNoChange is hold). Nothing needs investigating.")
            { Outcome = GateDecision.NoChangeOutcome, Comparison = comparison };

        var reason = failed.Count == 0
            ? $"v{candidate.Version} passes against {against}: " + string.Join("; ", checks.Select(c => c.Explanation)) + "."
            : $"v{candidate.Version} was not promoted: " + string.Join("; ", failed.Select(Failure)) + "." + LargestDrops(comparison) +
              " A person should look at why; the version is marked 'needs investigation'.";
        return new GateDecision(failed.Count == 0, false, checks, reason) { Comparison = comparison };
    }

    /// <summary>The cascade with the candidate swapped in against production on the same photos: under
    /// <see cref="CascadeRule.NotWorse"/> it refuses only when the paired interval of end-to-end correctness
    /// lies wholly below zero.</summary>
    public static GateCheck CascadeCheck(CascadeComparison c, GateSettings gate)
    {
        var passed = gate.Cascade != CascadeRule.NotWorse || c.EndToEnd.High >= -Epsilon;
        var stages = string.Join(", ", c.Candidate.Stages.Select(s =>
            $"{s.Skill} {(c.Production.Stages.FirstOrDefault(p => p.Skill == s.Skill) is { } p ? Pct(p.Accuracy) : "n/a")} → {Pct(s.Accuracy)}"));
        var excluded = c.Excluded.Count > 0 ? $" ({c.Excluded.Count} left out: seen in training or ambiguous)" : "";
        return new GateCheck("cascade", passed, c.Candidate.EndToEndAccuracy, c.Production.EndToEndAccuracy,
            $"end to end {Pct(c.Production.EndToEndAccuracy)} → {Pct(c.Candidate.EndToEndAccuracy)}, {c.EndToEnd.Describe()} on {c.Items} vehicle photos of {c.Set}{excluded}, " +
            $"McNemar p = {c.McNemarP.ToString("0.###", CultureInfo.InvariantCulture)} ({c.CandidateOnlyRight} photos only the candidate got right, {c.ProductionOnlyRight} only production); " +
            $"per stage {stages}; abstained {Pct(c.Production.AbstainRate)} → {Pct(c.Candidate.AbstainRate)}; " +
            (gate.Cascade == CascadeRule.NotWorse ? "required: not shown worse (gate.cascade not-worse)" : "reported only (gate.cascade report)"));
    }

    /// <summary>A check that could not run: it passes and says why, so it is visible, not silent.</summary>
    public static GateCheck Skipped(string name, string why) => new(name, true, 0, 0, $"skipped: {why}") { Skipped = true };

    /// <summary>The candidate's shadow answers beside production: shown always; refuses when
    /// <see cref="GateSettings.ShadowMinAnswers"/> is not reached or the agreement falls short of
    /// <see cref="GateSettings.ShadowMinAgreement"/> under the accuracy rule.</summary>
    public static GateCheck ShadowCheck(ShadowAgreement shadow, GateSettings gate)
    {
        var agreement = PairedStatistics.Proportion(shadow.Agree, shadow.Answers, gate.Confidence);
        var problems = new List<string>();
        if (gate.ShadowMinAnswers is { } min && shadow.Answers < min)
            problems.Add($"{shadow.Answers} of the {min} answers gate.shadowMinAnswers requires");
        if (gate.ShadowMinAgreement is { } least && (shadow.Answers == 0 || !Meets(agreement, least, gate.AccuracyRule)))
            problems.Add($"agreement short of gate.shadowMinAgreement {Pct(least)} " + gate.AccuracyRule switch
            {
                AccuracyRule.NotWorse => "(the whole interval lies below it)",
                AccuracyRule.Better => "(the interval does not lie wholly at or above it)",
                _ => "(the estimate is below it)",
            });
        var said = shadow.Answers == 0
            ? $"shadow: no answers of v{shadow.StagingVersion} beside production v{shadow.ProductionVersion} yet (stage it with `promote --to staging` and serve with shadow on)"
            : $"shadow: {shadow.Answers} answers beside production v{shadow.ProductionVersion}, agreement {Pct(agreement.Estimate)} " +
              $"({(agreement.Confidence * 100).ToString("0.##", CultureInfo.InvariantCulture)}% CI {Pct(agreement.Low)} … {Pct(agreement.High)})";
        var rules = gate.ShadowMinAnswers is null && gate.ShadowMinAgreement is null ? "; shown only (no gate.shadowMinAnswers or gate.shadowMinAgreement)" : "";
        return new GateCheck("shadow", problems.Count == 0, agreement.Estimate, gate.ShadowMinAgreement ?? 0,
            said + (problems.Count > 0 ? "; " + string.Join("; ", problems) : "") + rules);
    }

    private static GateCheck AccuracyCheck(string name, Interval delta, PairedComparison comparison, GateSettings gate, string against, string on)
    {
        var required = gate.MinAccuracyDelta;
        var passed = Meets(delta, required, gate.AccuracyRule);
        var what = name == "accuracy" ? "accuracy" : "balanced accuracy";
        var test = name == "accuracy" ? $", McNemar p = {comparison.McNemarP.ToString("0.###", CultureInfo.InvariantCulture)} ({comparison.CandidateOnlyRight} items only it got right, {comparison.ProductionOnlyRight} only production)" : "";
        return new GateCheck(name, passed, delta.Estimate, required,
            $"{what} {delta.Describe()} against {against} on {on}{test}; required {RuleText(gate.AccuracyRule, required)}");
    }

    private static GateCheck ClassCheck(PairedComparison comparison, GateSettings gate)
    {
        var dropped = new List<string>();
        var worst = comparison.PerClass.MinBy(c => c.Delta.Estimate);
        foreach (var c in comparison.PerClass)
        {
            var isProtected = gate.ProtectedClasses.Contains(c.Class, StringComparer.Ordinal);
            var allowed = isProtected ? 0 : gate.MaxClassDrop;
            if (allowed is null) continue;
            if (!Meets(c.Delta, -allowed.Value, gate.AccuracyRule))
                dropped.Add($"'{c.Class}' recall {Pct(c.ProductionRecall)} → {Pct(c.CandidateRecall)}, {c.Delta.Describe()} on {c.Items} items, beyond the allowed drop of {Pct(allowed.Value)}{(isProtected ? " (protected class)" : "")}");
        }
        var limit = gate.MaxClassDrop ?? 0;
        var explanation = dropped.Count > 0
            ? "classes that dropped: " + string.Join("; ", dropped)
            : $"no class dropped beyond {Pct(limit)}" + (worst is null ? "" : $" (largest change '{worst.Class}' {worst.Delta.Describe()})");
        return new GateCheck("per-class", dropped.Count == 0, worst?.Delta.Estimate ?? 0, -limit, explanation);
    }

    private static GateCheck LatencyCheck(PairedComparison comparison, GateSettings gate, string against)
    {
        var allowance = Math.Max(gate.LatencyTolerance * comparison.ProductionLatencyMs, gate.LatencyFloorMs);
        var delta = comparison.LatencyDeltaMs;
        // Only a slowdown whose whole interval is beyond the allowance refuses: the rest is noise.
        var passed = delta.Low <= allowance + Epsilon;
        return new GateCheck("latency", passed, comparison.CandidateLatencyMs, comparison.ProductionLatencyMs + allowance,
            $"median latency {Ms(comparison.CandidateLatencyMs)} vs {against} {Ms(comparison.ProductionLatencyMs)}, difference {delta.Describe("ms")}; " +
            $"allowed slowdown max({Pct(gate.LatencyTolerance)} of production, {Ms(gate.LatencyFloorMs)}) = {Ms(allowance)}");
    }

    /// <summary>Where to look first: the classes that lost most, even when each alone is within noise.</summary>
    private static string LargestDrops(PairedComparison comparison)
    {
        var drops = comparison.PerClass.Where(c => c.Delta.Estimate < 0).OrderBy(c => c.Delta.Estimate).ThenBy(c => c.Class, StringComparer.Ordinal).Take(3).ToList();
        return drops.Count == 0 ? "" : " Largest per-class drops: " + string.Join(", ", drops.Select(c =>
            $"'{c.Class}' {Pct(c.ProductionRecall)} → {Pct(c.CandidateRecall)} on {c.Items} items")) + ".";
    }

    private static bool Meets(Interval delta, double required, AccuracyRule rule) => rule switch
    {
        AccuracyRule.NotWorse => delta.High >= required - Epsilon,
        AccuracyRule.Better => delta.Low >= required - Epsilon,
        _ => delta.Estimate >= required - Epsilon,
    };

    private static string RuleText(AccuracyRule rule, double required)
    {
        var at = (required * 100).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture) + " points";
        return rule switch
        {
            AccuracyRule.NotWorse => $"not shown below {at} (interval reaches it)",
            AccuracyRule.Better => $"shown at least {at} (whole interval at or above it)",
            _ => $"estimate at least {at}",
        };
    }

    private static string Failure(GateCheck check) => check.Name switch
    {
        "accuracy" or "balanced-accuracy" => $"it is not accurate enough ({check.Explanation})",
        "per-class" => $"a class got worse ({check.Explanation})",
        "latency" => $"it is too slow ({check.Explanation})",
        "cascade" => $"the cascade got worse with it ({check.Explanation})",
        "shadow" => $"its shadow answers do not support it yet ({check.Explanation})",
        _ => check.Explanation,
    };

    private static string Pct(double v) => Numbers.Percent(v);
    private static string Ms(double v) => Numbers.OneDecimal(v) + " ms";
}
