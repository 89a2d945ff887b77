using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Serving;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Tests.Promotion;

/// <summary>The gate's cascade and shadow checks on answers built photo by photo, so the truth is known:
/// a cascade that loses photos is refused under not-worse and only reported under report; shadow rules
/// hold a candidate with too few or too disagreeing shadow answers.</summary>
public sealed class CascadeGateTests
{
    private static readonly string[] Makes = ["audi", "bmw", "ford", "tesla"];
    private const int PerMake = 15;

    private static readonly ServingConfig Config = new() { Cascade = new CascadeStage { Skill = "make" } };

    private static ClassifyAnswer Answer(string label, bool abstained = false) => new()
    {
        Vehicle = new VehicleAnswer(true, []),
        Cascade = [new StageAnswer
        {
            Skill = "make", Label = label, Probability = abstained ? 0.3f : 0.9f, Options = [new LabelProbability(label, 0.9f), new LabelProbability("audi", 0.05f)],
            Abstained = abstained, SkillVersion = 1, CodeVersion = "test",
        }],
        CodeVersion = "test", DetectorSha256 = "test",
    };

    /// <summary>Production and a candidate on the same 60 photos; <paramref name="candidateRight"/> says which
    /// photos the candidate answers right (production gets photo i right unless i % 10 == 0).</summary>
    private static async Task<CascadeComparison> CompareAsync(Func<int, bool> candidateRight)
    {
        var photos = Enumerable.Range(0, Makes.Length * PerMake).Select(i => new LabelledPhoto($"p{i:000}", Makes[i / PerMake], $"p{i:000}")).ToList();
        var evaluator = new CascadeEvaluator(Config, new Dictionary<string, Func<string, string?>> { ["make"] = l => Makes.Contains(l) ? l : null });
        Func<byte[], CancellationToken, Task<ClassifyAnswer>> Stack(Func<int, bool> right)
        {
            var next = 0;
            return (_, _) =>
            {
                var i = next++;
                var truth = Makes[i / PerMake];
                return Task.FromResult(Answer(right(i) ? truth : Makes[(Array.IndexOf(Makes, truth) + 1) % Makes.Length]));
            };
        }
        var runs = await evaluator.EvaluateManyAsync(photos, [("candidate", Stack(candidateRight)), ("production", Stack(i => i % 10 != 0))], null,
            (_, _) => Task.FromResult(Array.Empty<byte>()), CancellationToken.None);
        return CascadeEvaluator.Compare("make", 2, 1, "photos test", runs[0], runs[1], 0.95);
    }

    [Fact]
    public async Task CascadeCheck_CandidateLosesAThirdOfPhotos_RefusedUnderNotWorseReportedUnderReport()
    {
        var worse = await CompareAsync(i => i % 3 != 0 && i % 10 != 0);

        var refused = PromotionGate.CascadeCheck(worse, new GateSettings());
        var reported = PromotionGate.CascadeCheck(worse, new GateSettings { Cascade = CascadeRule.Report });

        Assert.False(refused.Passed);
        Assert.True(worse.EndToEnd.High < 0, worse.EndToEnd.Describe());
        Assert.Equal(0, worse.CandidateOnlyRight);
        Assert.Equal(worse.Production.EndToEndCorrect - worse.Candidate.EndToEndCorrect, worse.ProductionOnlyRight);
        Assert.Contains("95% CI", refused.Explanation);
        Assert.Contains("make ", refused.Explanation);
        Assert.True(reported.Passed);
        Assert.Contains("reported only", reported.Explanation);
        Assert.Equal(worse.ProductionOnlyRight, worse.Changed.Count);
    }

    [Fact]
    public async Task CascadeCheck_SameAnswers_PassesWithNoChange()
    {
        var same = await CompareAsync(i => i % 10 != 0);

        var check = PromotionGate.CascadeCheck(same, new GateSettings());

        Assert.True(check.Passed);
        Assert.Equal(0, same.EndToEnd.Estimate);
        Assert.Empty(same.Changed);
        Assert.Equal(same.Production.EndToEndAccuracy, same.Candidate.EndToEndAccuracy);
    }

    [Fact]
    public void ShadowCheck_Rules_HoldTooFewOrDisagreeingAndShowTheInterval()
    {
        var few = new ShadowAgreement("make", 2, 1, 9, 1);
        var many = new ShadowAgreement("make", 2, 1, 180, 20);
        var disagreeing = new ShadowAgreement("make", 2, 1, 100, 100);
        var rules = new GateSettings { ShadowMinAnswers = 50, ShadowMinAgreement = 0.8 };

        var shown = PromotionGate.ShadowCheck(few, new GateSettings());
        var tooFew = PromotionGate.ShadowCheck(few, rules);
        var enough = PromotionGate.ShadowCheck(many, rules);
        var tooDifferent = PromotionGate.ShadowCheck(disagreeing, rules);
        var none = PromotionGate.ShadowCheck(new ShadowAgreement("make", 2, 1, 0, 0), rules);

        Assert.True(shown.Passed);
        Assert.Contains("shadow: 10 answers beside production v1, agreement 90.0% (95% CI", shown.Explanation);
        Assert.False(tooFew.Passed);
        Assert.Contains("10 of the 50 answers gate.shadowMinAnswers requires", tooFew.Explanation);
        Assert.True(enough.Passed, enough.Explanation);
        Assert.False(tooDifferent.Passed);
        Assert.Contains("gate.shadowMinAgreement", tooDifferent.Explanation);
        Assert.False(none.Passed);
        Assert.Contains("no answers", none.Explanation);
    }
}
