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
        Assert.True(dsAccuracy >= 0.97, $"Dawid–Skene accuracy {dsAccuracy:P1}");
        Assert.True(majorityAccuracy < 0.8, $"majority accuracy {majorityAccuracy:P1} (expected to suffer from the swapper)");
        var swapper = ds.Workers["swapper"];
        Assert.True(swapper.P("interior", "exterior") > 0.95, $"P(swapper says exterior | interior) = {swapper.P("interior", "exterior"):0.000}");
        Assert.True(swapper.P("exterior", "interior") > 0.95);
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
}
