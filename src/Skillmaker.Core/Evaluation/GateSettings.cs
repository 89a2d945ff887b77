namespace Skillmaker.Evaluation;

/// <summary>How much evidence the accuracy checks need, given the paired confidence interval of the
/// difference (candidate − production) and the required delta.</summary>
public enum AccuracyRule
{
    /// <summary>Refuse only when the data show the candidate falls short: the interval lies wholly below the required delta.</summary>
    NotWorse,
    /// <summary>Pass only when the data show the candidate reaches it: the interval lies wholly at or above the required delta (the interval must exclude a loss).</summary>
    Better,
    /// <summary>Compare the point estimate only, as if the test set had no noise.</summary>
    Point,
}

/// <summary>What the gate says when candidate and production give the same answer on every test item.</summary>
public enum NoChangeOutcome
{
    /// <summary>A pass (if no slower): retraining the same thing never needs a person.</summary>
    Pass,
    /// <summary>Production stays; the candidate is not marked as needing investigation and nobody is alerted.</summary>
    Hold,
}

/// <summary>What leaked test items (seen in training by one of the two versions) do to a promotion.</summary>
public enum LeakagePolicy
{
    /// <summary>Left out of the paired comparison, and named in the decision.</summary>
    Exclude,
    /// <summary>The promotion is refused until the test data are clean.</summary>
    Refuse,
}

/// <summary>What a worse cascade does to the promotion of a skill that is in it.</summary>
public enum CascadeRule
{
    /// <summary>Refuse when the paired interval of end-to-end correctness lies wholly below zero: the data
    /// show the cascade got worse with the candidate swapped in.</summary>
    NotWorse,
    /// <summary>Run and report the cascade comparison, never refuse on it.</summary>
    Report,
    /// <summary>Do not run it.</summary>
    Ignore,
}

/// <summary>Promotion rules, from the skill config's <c>gate</c> section. Candidate and production are
/// measured on the same test items, interleaved; every check is decided on a paired confidence interval,
/// never on two raw numbers.</summary>
public sealed record GateSettings
{
    /// <summary>Required accuracy gain (candidate − production), a share: 0.01 is one point. Default 0.</summary>
    public double MinAccuracyDelta { get; init; }

    /// <summary>How sure the gate must be about the accuracy checks. Default <see cref="AccuracyRule.NotWorse"/>.</summary>
    public AccuracyRule AccuracyRule { get; init; } = AccuracyRule.NotWorse;

    /// <summary>Confidence level of every interval. Default 0.95.</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Also check balanced accuracy (mean per-class recall) with the same rule. Default true.</summary>
    public bool BalancedAccuracy { get; init; } = true;

    /// <summary>No class's recall may drop more than this share (0.1 = 10 points), judged with the
    /// accuracy rule at a Bonferroni-corrected level. Null: no per-class check. Default 0.1.</summary>
    public double? MaxClassDrop { get; init; } = 0.1;

    /// <summary>Classes whose recall may never drop at all (no noise allowance beyond the interval).</summary>
    public IReadOnlyList<string> ProtectedClasses { get; init; } = [];

    /// <summary>Identical answers on every item. Default <see cref="NoChangeOutcome.Pass"/>.</summary>
    public NoChangeOutcome OnNoChange { get; init; } = NoChangeOutcome.Pass;

    /// <summary>The candidate's median latency may exceed production's by this share… Default 0.10.</summary>
    public double LatencyTolerance { get; init; } = 0.10;

    /// <summary>…or by this many milliseconds, whichever is larger: below it a difference is timer and
    /// scheduler noise. Only a slowdown whose whole interval is beyond the allowance refuses. Default 2.</summary>
    public double LatencyFloorMs { get; init; } = 2.0;

    /// <summary>Test items one of the versions trained on. Default <see cref="LeakagePolicy.Exclude"/>.</summary>
    public LeakagePolicy Leakage { get; init; } = LeakagePolicy.Exclude;

    /// <summary>When the skill is in the workspace's cascade (serving.json) and serving.json names an
    /// <c>evaluation</c> set: the cascade is run on it with the candidate swapped in and with production,
    /// paired. Default <see cref="CascadeRule.NotWorse"/>.</summary>
    public CascadeRule Cascade { get; init; } = CascadeRule.NotWorse;

    /// <summary>Shadow answers (serve with shadow on, the candidate staged) the candidate needs beside the
    /// current production version before it may be promoted. Null (default): shown, not required.</summary>
    public int? ShadowMinAnswers { get; init; }

    /// <summary>Smallest share of shadow answers agreeing with production, judged with the accuracy rule on
    /// its exact interval (not-worse: refused only when the whole interval is below). Null (default): shown, not required.</summary>
    public double? ShadowMinAgreement { get; init; }
}

public sealed record GateCheck(string Name, bool Passed, double Candidate, double Limit, string Explanation)
{
    /// <summary>The check could not run (e.g. no cascade evaluation set); it says why and does not refuse.</summary>
    public bool Skipped { get; init; }
}

/// <summary>The gate's verdict. <see cref="Outcome"/>: "first", "pass", "fail" or "no-change" (a hold).</summary>
public sealed record GateDecision(bool Passed, bool FirstPromotion, IReadOnlyList<GateCheck> Checks, string Reason)
{
    public const string FirstOutcome = "first";
    public const string PassOutcome = "pass";
    public const string FailOutcome = "fail";
    public const string NoChangeOutcome = "no-change";

    public string Outcome { get; init; } = FirstPromotion ? FirstOutcome : Passed ? PassOutcome : FailOutcome;

    /// <summary>A person promoted it although the gate did not pass.</summary>
    public bool Forced { get; init; }

    /// <summary>The paired figures the checks were decided on (null for a first promotion).</summary>
    public PairedComparison? Comparison { get; init; }

    /// <summary>The cascade run with the candidate swapped in against production (null when not run).</summary>
    public CascadeComparison? Cascade { get; init; }

    /// <summary>The candidate's shadow answers beside the current production version (null when none were read).</summary>
    public ShadowAgreement? Shadow { get; init; }
}
