using System.Globalization;

namespace Skillmaker.Evaluation;

/// <summary>An estimate with its two-sided confidence interval.</summary>
public sealed record Interval(double Estimate, double Low, double High, double Confidence)
{
    /// <summary>"+2.1 points (95% CI −0.4 … +4.6)" for shares; <paramref name="unit"/> "ms" for times.</summary>
    public string Describe(string unit = "points")
    {
        var scale = unit == "points" ? 100 : 1;
        string Signed(double v) => (v * scale).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture);
        return $"{Signed(Estimate)} {unit} ({(Confidence * 100).ToString("0.##", CultureInfo.InvariantCulture)}% CI {Signed(Low)} … {Signed(High)})";
    }
}

/// <summary>One class's recall, candidate against production, on the same items.</summary>
public sealed record ClassDelta(string Class, int Items, double CandidateRecall, double ProductionRecall, Interval Delta);

/// <summary>Candidate and production answered the same test items on the same machine, interleaved:
/// this is what the gate decides on. Deltas are candidate minus production; intervals come from a
/// seeded, class-stratified paired bootstrap (the same resampled items for both models), so the same
/// predictions always give the same figures.</summary>
public sealed record PairedComparison
{
    public required int Items { get; init; }
    /// <summary>Test items left out because one of the two versions trained on them (image or set).</summary>
    public required IReadOnlyList<string> Excluded { get; init; }
    public required double CandidateAccuracy { get; init; }
    public required double ProductionAccuracy { get; init; }
    /// <summary>Items only the candidate got right / only production got right (McNemar's discordant pairs).</summary>
    public required int CandidateOnlyRight { get; init; }
    public required int ProductionOnlyRight { get; init; }
    /// <summary>Exact two-sided McNemar p-value of the accuracy difference.</summary>
    public required double McNemarP { get; init; }
    /// <summary>Every item got the same answer from both.</summary>
    public required bool IdenticalAnswers { get; init; }
    public required Interval Accuracy { get; init; }
    public required Interval BalancedAccuracy { get; init; }
    /// <summary>Per-class recall deltas; each interval at a Bonferroni-corrected level (one test per class).</summary>
    public required IReadOnlyList<ClassDelta> PerClass { get; init; }
    public required double CandidateLatencyMs { get; init; }
    public required double ProductionLatencyMs { get; init; }
    /// <summary>Median latency of the candidate minus production's, per image paired.</summary>
    public required Interval LatencyDeltaMs { get; init; }
    public required int Resamples { get; init; }
    public required int Seed { get; init; }
}
