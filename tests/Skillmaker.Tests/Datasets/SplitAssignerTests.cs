using Skillmaker.Datasets;

namespace Skillmaker.Tests.Datasets;

public sealed class SplitAssignerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Assign_NewSetLinkedToTestSetByNearDuplicate_WholeGroupGoesTest()
    {
        SplitItem[] items = [new("a1", "A", ["c1"]), new("a2", "A", []), new("b1", "B", ["c1"]), new("b2", "B", [])];
        LedgerEntry[] ledger = [new("set:A", Split.Test, "new group", "m1", T0)];

        var plan = SplitAssigner.Assign(items, ledger, new HashSet<string>(), seed: 1, testFraction: 0.2);

        Assert.All(plan.Assignments, a => Assert.Equal(Split.Test, a.Split));
        Assert.Single(plan.Assignments.Select(a => a.Group).Distinct());
        Assert.Contains(plan.NewEntries, e => e.Atom == "set:B" && e.Split == Split.Test);
        Assert.DoesNotContain(plan.NewEntries, e => e.Atom == "set:A");
    }

    [Fact]
    public void Assign_TrainGroupMergedWithTestGroup_MovesToTestAndReportsIt()
    {
        SplitItem[] items = [new("a1", "A", ["c1"]), new("b1", "B", ["c1"])];
        LedgerEntry[] ledger = [new("set:A", Split.Test, "new group", "m1", T0), new("set:B", Split.Train, "new group", "m1", T0)];

        var plan = SplitAssigner.Assign(items, ledger, new HashSet<string>(), 1, 0.2);

        Assert.All(plan.Assignments, a => Assert.Equal(Split.Test, a.Split));
        Assert.Contains("set:B", plan.MovedToTest);
    }

    [Fact]
    public void Assign_EarlierTestItemInNewSet_StaysTest()
    {
        SplitItem[] items = [new("x", "renamed-set", [])];

        var plan = SplitAssigner.Assign(items, [], new HashSet<string> { "x" }, 1, 0.01);

        Assert.Equal(Split.Test, Assert.Single(plan.Assignments).Split);
    }

    [Fact]
    public void Assign_ManyNewGroups_DeterministicPerSeedAndNearTarget()
    {
        var items = Enumerable.Range(0, 500).Select(i => new SplitItem($"img{i:000}", $"set{i / 2}", [])).ToList();

        var a = SplitAssigner.Assign(items, [], new HashSet<string>(), 7, 0.25);
        var b = SplitAssigner.Assign(items, [], new HashSet<string>(), 7, 0.25);
        var c = SplitAssigner.Assign(items, [], new HashSet<string>(), 8, 0.25);

        Assert.Equal(a.Assignments, b.Assignments);
        Assert.NotEqual(a.Assignments.Select(x => x.Split), c.Assignments.Select(x => x.Split));
        Assert.InRange(a.Assignments.Count(x => x.Split == Split.Test), 120, 130);
    }
}
