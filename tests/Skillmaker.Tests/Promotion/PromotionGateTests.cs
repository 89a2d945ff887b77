using Skillmaker.Evaluation;
using Skillmaker.Promotion;

namespace Skillmaker.Tests.Promotion;

/// <summary>The gate's decisions on paired predictions built item by item, so the truth is known:
/// noise passes, a real loss (overall or in one class) or a real slowdown refuses, identical answers
/// are "no change".</summary>
public sealed class PromotionGateTests
{
    private static readonly string[] Classes = ["audi", "bmw", "ford", "tesla"];
    private const int PerClass = 30;

    /// <summary>Predictions on 4 × 30 items; <paramref name="right"/> says whether item i (of class i / 30) is answered right.</summary>
    private static List<Prediction> Predictions(Func<int, bool> right, Func<int, double> latency)
    {
        var list = new List<Prediction>();
        for (var i = 0; i < Classes.Length * PerClass; i++)
        {
            var truth = i / PerClass;
            var answer = right(i) ? truth : (truth + 1) % Classes.Length;
            var p = new float[Classes.Length];
            p[answer] = 0.7f;
            p[(answer + 1) % Classes.Length] = 0.3f;
            list.Add(new Prediction($"img{i:000}", truth, p, latency(i)));
        }
        return list;
    }

    private static double Jitter(int i, int salt) => ((i * 7919 + salt * 104729) % 1000) / 1000.0;

    private static GateDecision Decide(List<Prediction> candidate, List<Prediction> production, GateSettings? gate = null, IReadOnlySet<string>? exclude = null)
    {
        gate ??= new GateSettings();
        var c = EvaluationMetrics.Summarize("makes", 2, new string('0', 64), DateTimeOffset.UnixEpoch, "test", Classes, candidate);
        var p = EvaluationMetrics.Summarize("makes", 1, new string('0', 64), DateTimeOffset.UnixEpoch, "test", Classes, production);
        var paired = PairedStatistics.Compare(candidate, Classes, production, Classes, exclude ?? new HashSet<string>(), gate.Confidence, seed: 7);
        return PromotionGate.Decide(c, p, paired, gate);
    }

    // Production right on 100 of 120 items: every 6th item wrong.
    private static bool ProductionRight(int i) => i % 6 != 0;

    [Fact]
    public void Decide_IdenticalAnswersDifferentTimings_NoChangePasses()
    {
        var production = Predictions(ProductionRight, i => 10 + Jitter(i, 1));
        var candidate = Predictions(ProductionRight, i => 10 + Jitter(i, 2));

        var decision = Decide(candidate, production);
        var held = Decide(candidate, production, new GateSettings { OnNoChange = NoChangeOutcome.Hold });

        Assert.True(decision.Passed, decision.Reason);
        Assert.Contains("no change", decision.Checks[0].Explanation);
        Assert.True(decision.Comparison!.IdenticalAnswers);
        Assert.Equal((0.0, 0.0), (decision.Comparison.Accuracy.Low, decision.Comparison.Accuracy.High));
        Assert.False(held.Passed);
        Assert.Equal(GateDecision.NoChangeOutcome, held.Outcome);
        Assert.DoesNotContain("needs investigation", held.Reason);
    }

    [Fact]
    public void Decide_OneItemWorseOutOf120_PassesAsNoiseUnlessPointRule()
    {
        var production = Predictions(ProductionRight, _ => 10);
        var candidate = Predictions(i => ProductionRight(i) && i != 1, _ => 10);

        var notWorse = Decide(candidate, production);
        var point = Decide(candidate, production, new GateSettings { AccuracyRule = AccuracyRule.Point });

        Assert.True(notWorse.Passed, notWorse.Reason);
        Assert.Contains("-0.8 points".Replace("-", "−"), notWorse.Checks.Single(c => c.Name == "accuracy").Explanation);
        Assert.False(point.Passed);
        Assert.Contains("not accurate enough", point.Reason);
    }

    [Fact]
    public void Decide_ManyItemsWorse_FailsWithIntervalAndMcNemar()
    {
        var production = Predictions(ProductionRight, _ => 10);
        // The candidate also misses every 5th item: 24 losses against 4 gains.
        var candidate = Predictions(i => i % 5 != 0 && (ProductionRight(i) || i % 30 == 0), _ => 10);

        var decision = Decide(candidate, production);

        Assert.False(decision.Passed);
        var accuracy = decision.Checks.Single(c => c.Name == "accuracy");
        Assert.False(accuracy.Passed);
        Assert.True(decision.Comparison!.Accuracy.High < 0, accuracy.Explanation);
        Assert.True(decision.Comparison.McNemarP < 0.01, accuracy.Explanation);
        Assert.Contains("McNemar p =", accuracy.Explanation);
        Assert.Contains("needs investigation", decision.Reason);
    }

    [Fact]
    public void Decide_SmallGainWithBetterRule_NotEnoughEvidence()
    {
        var production = Predictions(ProductionRight, _ => 10);
        var candidate = Predictions(i => ProductionRight(i) || i == 0, _ => 10);

        var notWorse = Decide(candidate, production);
        var better = Decide(candidate, production, new GateSettings { AccuracyRule = AccuracyRule.Better, MinAccuracyDelta = 0.001 });

        Assert.True(notWorse.Passed, notWorse.Reason);
        Assert.False(better.Passed);
        Assert.Contains("shown at least", better.Checks.Single(c => c.Name == "accuracy").Explanation);
    }

    [Fact]
    public void Decide_OneClassCollapsesOthersImprove_FailsNamingTheClass()
    {
        var production = Predictions(ProductionRight, _ => 10);
        // tesla (items 90..119) is now always wrong; the other classes are now always right.
        var candidate = Predictions(i => i < 90, _ => 10);

        var decision = Decide(candidate, production, new GateSettings { BalancedAccuracy = false, AccuracyRule = AccuracyRule.Point, MinAccuracyDelta = -0.5 });

        Assert.False(decision.Passed);
        var perClass = decision.Checks.Single(c => c.Name == "per-class");
        Assert.False(perClass.Passed);
        Assert.Contains("'tesla'", perClass.Explanation);
        Assert.DoesNotContain("'audi'", perClass.Explanation);
        Assert.Contains("a class got worse", decision.Reason);
    }

    [Fact]
    public void Decide_ConsistentlySlowerBeyondAllowance_FailsTooSlow()
    {
        var production = Predictions(ProductionRight, i => 10 + Jitter(i, 1));
        var candidate = Predictions(ProductionRight, i => 14 + Jitter(i, 2));

        var decision = Decide(candidate, production);

        var latency = decision.Checks.Single(c => c.Name == "latency");
        Assert.False(latency.Passed, latency.Explanation);
        Assert.Contains("too slow", decision.Reason);
        Assert.Contains("allowed slowdown max(10.0% of production, 2.0 ms) = 2.0 ms", latency.Explanation);
    }

    [Fact]
    public void Decide_SlowerBelowFloorOrNoisy_Passes()
    {
        var production = Predictions(ProductionRight, i => 10 + Jitter(i, 1));
        var belowFloor = Predictions(ProductionRight, i => 11.5 + Jitter(i, 2));
        // Same speed, but every 10th call hit a scheduler hiccup of 40 ms.
        var hiccups = Predictions(ProductionRight, i => 10 + Jitter(i, 3) + (i % 10 == 0 ? 40 : 0));

        Assert.True(Decide(belowFloor, production).Passed);
        Assert.True(Decide(hiccups, production).Passed);
    }

    [Fact]
    public void Compare_SameInputs_SameFiguresEveryTime()
    {
        var production = Predictions(ProductionRight, i => 10 + Jitter(i, 1));
        var candidate = Predictions(i => i % 4 != 0, i => 10 + Jitter(i, 2));

        var first = Decide(candidate, production).Comparison!;
        var second = Decide(candidate, production).Comparison!;

        Assert.Equal(first.Accuracy, second.Accuracy);
        Assert.Equal(first.LatencyDeltaMs, second.LatencyDeltaMs);
        Assert.Equal(first.PerClass.Select(c => c.Delta), second.PerClass.Select(c => c.Delta));
    }

    [Fact]
    public void Compare_ExcludedItems_LeftOutAndNamed()
    {
        var production = Predictions(ProductionRight, _ => 10);
        var candidate = Predictions(ProductionRight, _ => 10);

        var decision = Decide(candidate, production, exclude: new HashSet<string> { "img000", "img001" });

        Assert.Equal(118, decision.Comparison!.Items);
        Assert.Equal(["img000", "img001"], decision.Comparison.Excluded);
        Assert.Contains("2 left out: seen in training", decision.Reason);
    }

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(0, 5, 0.0625)]
    [InlineData(1, 9, 0.021484375)]
    [InlineData(5, 5, 1.0)]
    public void McNemarExactP_KnownCounts_MatchesBinomial(int b, int c, double expected) =>
        Assert.Equal(expected, PairedStatistics.McNemarExactP(b, c), 9);

    [Fact]
    public void Decide_FirstPromotion_PassesWithNote()
    {
        var candidate = EvaluationMetrics.Summarize("makes", 1, new string('0', 64), DateTimeOffset.UnixEpoch, "test", Classes, Predictions(ProductionRight, _ => 5));

        var decision = PromotionGate.Decide(candidate, null, null, new GateSettings());

        Assert.True(decision.Passed);
        Assert.Equal(GateDecision.FirstOutcome, decision.Outcome);
        Assert.Contains("First promotion", decision.Reason);
    }
}
