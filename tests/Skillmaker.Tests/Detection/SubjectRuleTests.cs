using Skillmaker.Detection;

namespace Skillmaker.Tests.Detection;

public sealed class SubjectRuleTests
{
    private static readonly SubjectSettings Defaults = new();

    [Fact]
    public void Decide_BigCentralCarAndSmallCornerCar_BigIsSubjectSmallIsBackground()
    {
        var decisions = SubjectRule.Decide([new("small", new BoundingBox(0, 0, 80, 60)), new("big", new BoundingBox(150, 100, 850, 600))], 1000, 700, Defaults);

        Assert.Equal(2, decisions.Count);
        Assert.True(decisions.Single(d => d.CropId == "big").Subject);
        Assert.False(decisions.Single(d => d.CropId == "small").Subject);
        Assert.StartsWith("subject:", decisions.Single(d => d.CropId == "big").Reason);
        Assert.StartsWith("background:", decisions.Single(d => d.CropId == "small").Reason);
    }

    [Fact]
    public void Decide_TwoCarsOfTheSameSizeSideBySide_NoSubject()
    {
        var decisions = SubjectRule.Decide([new("left", new BoundingBox(50, 200, 450, 500)), new("right", new BoundingBox(550, 200, 950, 500))], 1000, 700, Defaults);

        Assert.All(decisions, d => Assert.False(d.Subject));
        Assert.All(decisions, d => Assert.Contains("ambiguous", d.Reason));
    }

    [Fact]
    public void Decide_LoneTinyCar_NoSubjectBelowMinPhotoShare_SubjectWhenShareIsZero()
    {
        CroppedBox[] lone = [new("far", new BoundingBox(480, 330, 520, 370))];

        Assert.False(Assert.Single(SubjectRule.Decide(lone, 1000, 700, Defaults)).Subject);
        Assert.True(Assert.Single(SubjectRule.Decide(lone, 1000, 700, Defaults with { MinPhotoShare = 0 })).Subject);
    }

    [Fact]
    public void Decide_LargerCarAtTheEdgeAgainstCentralCar_CentreWeightDecides()
    {
        // The edge car is 1.3 times larger; with no centre weight it wins narrowly (under dominance 2: ambiguous),
        // with full centre weight the central car scores more than twice the edge one.
        CroppedBox[] boxes = [new("edge", new BoundingBox(0, 0, 390, 300)), new("centre", new BoundingBox(350, 250, 650, 550))];

        Assert.All(SubjectRule.Decide(boxes, 1000, 800, Defaults with { CentreWeight = 0 }), d => Assert.False(d.Subject));
        var weighted = SubjectRule.Decide(boxes, 1000, 800, Defaults with { CentreWeight = 1, Dominance = 1.5 });
        Assert.True(weighted.Single(d => d.CropId == "centre").Subject);
    }

    [Fact]
    public void Validate_BadSettings_NameEachField()
    {
        var errors = new SubjectSettings { CentreWeight = 2, Dominance = 0.5, MinPhotoShare = 1 }.Validate("subject.").Select(e => e.Field).ToList();

        Assert.Equal(["subject.centreWeight", "subject.dominance", "subject.minPhotoShare"], errors);
    }
}
