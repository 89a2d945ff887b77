namespace Skillmaker.Evaluation;

/// <summary>Promotion thresholds, from the skill config's <c>gate</c> section.</summary>
public sealed record GateSettings
{
    /// <summary>The candidate's accuracy must be at least production's plus this. Default 0 (no worse).</summary>
    public double MinAccuracyDelta { get; init; }

    /// <summary>The candidate's p95 latency may exceed production's by at most this share. Default 0.10.</summary>
    public double LatencyTolerance { get; init; } = 0.10;
}

public sealed record GateCheck(string Name, bool Passed, double Candidate, double Limit, string Explanation);

public sealed record GateDecision(bool Passed, bool FirstPromotion, IReadOnlyList<GateCheck> Checks, string Reason);
