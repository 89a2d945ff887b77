using Skillmaker.Crowd;

namespace Skillmaker.Tests.Crowd;

public class ConsolidationTests
{
    private static readonly string[] Answers = ["interior", "exterior", "unsure"];

    /// <summary>Two honest but noisy workers (80% right) and one who always swaps interior and exterior.
    /// Where the honest two disagree, the swapper sides with the wrong one, so majority is wrong there;
    /// Dawid–Skene learns the swap and reads the swapper as a perfect witness.</summary>
    private static (List<Vote> Votes, Dictionary<string, string> Truth) SwapperExample(int items, int seed)
    {
        var random = new Random(seed);
        var votes = new List<Vote>();
        var truth = new Dictionary<string, string>();
        for (var i = 0; i < items; i++)
        {
            var item = $"item{i:D3}";
            var t = random.Next(2) == 0 ? "interior" : "exterior";
            var other = t == "interior" ? "exterior" : "interior";
            truth[item] = t;
            votes.Add(new Vote(item, "honest-a", random.NextDouble() < 0.8 ? t : other));
            votes.Add(new Vote(item, "honest-b", random.NextDouble() < 0.8 ? t : other));
            votes.Add(new Vote(item, "swapper", other));
        }
        return (votes, truth);
    }

    [Fact]
    public void DawidSkene_WorkerWhoSwapsClasses_LearnsConfusionAndBeatsMajority()
    {
        var (votes, truth) = SwapperExample(200, seed: 7);

        var ds = DawidSkene.Consolidate(votes, Answers);
        var majority = MajorityVote.Consolidate(votes);

        var dsAccuracy = truth.Count(kv => ds.Items[kv.Key].Answer == kv.Value) / (double)truth.Count;
        var majorityAccuracy = truth.Count(kv => majority[kv.Key].Answer == kv.Value) / (double)truth.Count;
        // Where all three said the wrong class, the model believes the truth is the class nobody gave:
        // that ends unsure (never an answer nobody gave), so those few count as not right, yet not wrong.
        var dsWrong = truth.Count(kv => ds.Items[kv.Key].Answer is var a && a != kv.Value && a != CrowdQuestions.Unsure) / (double)truth.Count;
        Assert.True(dsAccuracy >= 0.95, $"Dawid–Skene accuracy {dsAccuracy:P1}");
        Assert.True(dsWrong <= 0.05, $"Dawid–Skene wrong {dsWrong:P1}");
        Assert.True(majorityAccuracy < 0.8, $"majority accuracy {majorityAccuracy:P1} (expected to suffer from the swapper)");
        var swapper = ds.Workers["swapper"];
        Assert.True(swapper.P("interior", "exterior") > 0.9, // the prior (4 answers at 70% right) still weighs a little
            $"P(swapper says exterior | interior) = {swapper.P("interior", "exterior"):0.000}");
        Assert.True(swapper.P("exterior", "interior") > 0.9);
        var honest = ds.Workers["honest-a"];
        Assert.InRange(honest.P("interior", "interior"), 0.7, 0.9);
        Assert.InRange(ds.ClassPriors["interior"], 0.4, 0.6);
    }

    [Fact]
    public void DawidSkene_GoldItem_StaysClampedAndPosteriorsSumToOne()
    {
        var votes = new List<Vote>
        {
            new("g", "a", "exterior"), new("g", "b", "exterior"), new("g", "c", "interior"),
            new("x", "a", "interior"), new("x", "b", "interior"), new("x", "c", "interior"),
        };
        var result = DawidSkene.Consolidate(votes, Answers, new Dictionary<string, string> { ["g"] = "interior" });
        Assert.Equal(1.0, result.Posteriors["g"]["interior"], 6);
        Assert.Equal("interior", result.Items["x"].Answer);
        foreach (var p in result.Posteriors.Values) Assert.Equal(1.0, p.Values.Sum(), 9);
    }

    [Fact]
    public void DawidSkene_OnlyUnsureAnswers_EndsUnsure()
    {
        var result = DawidSkene.Consolidate([new("x", "a", "unsure"), new("x", "b", "unsure"), new("y", "a", "interior"), new("y", "b", "interior")], Answers);
        Assert.Equal(CrowdQuestions.Unsure, result.Items["x"].Answer);
        Assert.Equal("interior", result.Items["y"].Answer);
    }

    [Fact]
    public void MajorityVote_TieForFirstPlace_EndsUnsure()
    {
        var result = MajorityVote.Consolidate([
            new("tie", "a", "wheel"), new("tie", "b", "exterior"),
            new("clear", "a", "wheel"), new("clear", "b", "wheel"), new("clear", "c", "exterior"),
            new("three-way", "a", "wheel"), new("three-way", "b", "exterior"), new("three-way", "c", "interior"),
        ]);
        Assert.Equal(CrowdQuestions.Unsure, result["tie"].Answer);
        Assert.Equal("wheel", result["clear"].Answer);
        Assert.Equal(2.0 / 3, result["clear"].Confidence, 9);
        Assert.Equal(CrowdQuestions.Unsure, result["three-way"].Answer);
    }

    private static readonly string[] Content = [.. CrowdQuestions.Content.Select(o => o.Value)];
    private static readonly string[] Quality = [.. CrowdQuestions.Quality.Select(o => o.Value)];

    public static TheoryData<ConsolidationMethod> Methods => [ConsolidationMethod.Majority, ConsolidationMethod.WeightedMajority, ConsolidationMethod.DawidSkene];

    /// <summary>The walk-through of issue 20: three workers over two tasks. Dawid–Skene used to call both
    /// "resolved 1.00", and the quality came out as a value nobody gave.</summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void Run_ThreeWorkersWhoDisagree_EndsUnsure(ConsolidationMethod method)
    {
        var content = Consolidation.Run(method, [
            new("T1", "w1", "exterior"), new("T1", "w2", "close-up"), new("T1", "w3", "wheel"),
            new("T2", "w1", "unsure"), new("T2", "w2", "unsure"), new("T2", "w3", "obstructed"),
        ], Content, null, new());
        var quality = Consolidation.Run(method, [
            new("T1", "w1", "good"), new("T1", "w2", "blurry"), new("T1", "w3", "low-resolution"),
            new("T2", "w1", "unsure"), new("T2", "w2", "blurry"), new("T2", "w3", "unsure"),
        ], Quality, null, new());

        Assert.Equal(CrowdQuestions.Unsure, content["T1"].Answer);
        Assert.Equal(CrowdQuestions.Unsure, content["T2"].Answer);
        Assert.Equal(CrowdQuestions.Unsure, quality["T1"].Answer);
        Assert.Equal(CrowdQuestions.Unsure, quality["T2"].Answer);
        Assert.All(content.Values.Concat(quality.Values), c => Assert.True(c.Confidence < 0.6, $"{c.Basis} claims {c.Confidence:0.00} for split votes"));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Run_TwoOfThreeAgree_ResolvesWithConfidenceBelowCertainty(ConsolidationMethod method)
    {
        var result = Consolidation.Run(method, [new("T1", "w1", "wheel"), new("T1", "w2", "wheel"), new("T1", "w3", "close-up")], Content, null, new());
        Assert.Equal("wheel", result["T1"].Answer);
        Assert.InRange(result["T1"].Confidence, 0.6, 0.95);
    }

    /// <summary>On simulated crowds of every kind (good, random, adversarial, lazy workers, small and large
    /// batches), no method ever answers something that none of the item's workers said.</summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void Run_SimulatedCrowds_NeverAnswersAValueNobodyGave(ConsolidationMethod method)
    {
        var scenarios = new CrowdScenario[]
        {
            new("mixed", 200, 10, 3, CrowdScenario.Crowd(6, 2, 1, 1)),
            new("mostly bad", 200, 10, 3, CrowdScenario.Crowd(2, 3, 3, 2)),
            new("tiny", 4, 0, 3, CrowdScenario.Crowd(0, 3)),
        };
        foreach (var scenario in scenarios)
            for (var seed = 0; seed < 3; seed++)
            {
                var crowd = scenario.Simulate(seed);
                var result = Consolidation.Run(method, crowd.Votes, CrowdScenario.AnswerValues, crowd.Gold, new());
                var score = crowd.Score(result);
                Assert.Equal(0, score.AnswersNobodyGave);
                Assert.All(result.Values, c => Assert.InRange(c.Confidence, 0, 1));
            }
    }

    /// <summary>Dawid–Skene learns a confusion matrix per worker; from a handful of answers that is noise,
    /// so those items fall back to the gold-weighted majority and say so.</summary>
    [Fact]
    public void Run_DawidSkene_OnlyWhereEveryWorkerHasEnoughAnswers()
    {
        var crowd = new CrowdScenario("mixed", 300, 20, 3, CrowdScenario.Crowd(5, 1, 0, 0)).Simulate(3);
        var votes = crowd.Votes.Append(new Vote("newcomer-item", "newcomer", "exterior"))
            .Append(new Vote("newcomer-item", "good-0", "exterior")).Append(new Vote("newcomer-item", "good-1", "exterior")).ToList();
        var result = Consolidation.Run(ConsolidationMethod.DawidSkene, votes, CrowdScenario.AnswerValues, crowd.Gold, new());
        Assert.Equal(Consolidation.WeightedBasis, result["newcomer-item"].Basis);
        Assert.Equal("exterior", result["newcomer-item"].Answer);
        Assert.All(crowd.Truth.Keys, k => Assert.Equal(Consolidation.DawidSkeneBasis, result[k].Basis));
    }

    /// <summary>The default (weighted majority) against plain majority on a mixed crowd: fewer wrong labels
    /// slip through, and its confidence is closer to its accuracy.</summary>
    [Fact]
    public void Run_WeightedMajorityOnMixedCrowd_FewerWrongAndBetterCalibratedThanMajority()
    {
        var scenario = new CrowdScenario("mixed", 400, 20, 3, CrowdScenario.Crowd(6, 2, 1, 1));
        var crowds = Enumerable.Range(0, 3).Select(scenario.Simulate).ToList();
        var weighted = crowds.Select(c => c.Score(Consolidation.Run(ConsolidationMethod.WeightedMajority, c.Votes, CrowdScenario.AnswerValues, c.Gold, new()))).ToList();
        var majority = crowds.Select(c => c.Score(Consolidation.Run(ConsolidationMethod.Majority, c.Votes, CrowdScenario.AnswerValues, c.Gold, new()))).ToList();
        Assert.True(weighted.Average(s => s.WrongRate) < majority.Average(s => s.WrongRate),
            $"wrong: weighted {weighted.Average(s => s.WrongRate):P1}, majority {majority.Average(s => s.WrongRate):P1}");
        Assert.True(weighted.Average(s => s.Ece) < majority.Average(s => s.Ece),
            $"ECE: weighted {weighted.Average(s => s.Ece):0.000}, majority {majority.Average(s => s.Ece):0.000}");
    }

    [Fact]
    public void WorkerAccuracy_FromGold_PullsFewAnswersTowardsThePrior()
    {
        var known = new Dictionary<string, string> { ["g1"] = "wheel", ["g2"] = "interior" };
        var accuracy = WorkerAccuracy.FromGold([new("g1", "right", "wheel"), new("g2", "right", "interior"), new("g1", "wrong", "exterior"), new("x", "unseen", "wheel")], known, new());
        Assert.Equal((2 + 0.7 * 4) / 6, accuracy["right"], 9);
        Assert.Equal((0 + 0.7 * 4) / 5, accuracy["wrong"], 9);
        Assert.Equal(0.7, accuracy["unseen"], 9);
    }
}
