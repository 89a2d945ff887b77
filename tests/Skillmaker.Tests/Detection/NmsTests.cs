using Skillmaker.Detection;

namespace Skillmaker.Tests.Detection;

public sealed class NmsTests
{
    private static DetectedObject D(int classId, float score, float x1, float y1, float x2, float y2, string? name = null) =>
        new(classId, name ?? $"c{classId}", score, new BoundingBox(x1, y1, x2, y2));

    [Fact]
    public void IntersectionOverUnion_HalfShiftedSquares_IsOneThird()
    {
        var a = new BoundingBox(0, 0, 10, 10);
        var b = new BoundingBox(5, 0, 15, 10);
        Assert.Equal(1f / 3f, a.IntersectionOverUnion(b), 5);
        Assert.Equal(a.IntersectionOverUnion(b), b.IntersectionOverUnion(a));
    }

    [Fact]
    public void IntersectionOverUnion_TouchingOrDisjoint_IsZero()
    {
        var a = new BoundingBox(0, 0, 10, 10);
        Assert.Equal(0f, a.IntersectionOverUnion(new BoundingBox(10, 0, 20, 10)));
        Assert.Equal(0f, a.IntersectionOverUnion(new BoundingBox(50, 50, 60, 60)));
        Assert.Equal(1f, a.IntersectionOverUnion(a));
    }

    [Fact]
    public void PerClass_OverlappingBoxesOfOneClass_KeepsOnlyTheBest()
    {
        var kept = Nms.PerClass([D(2, 0.6f, 0, 0, 100, 100), D(2, 0.9f, 5, 5, 105, 105), D(2, 0.5f, 300, 300, 400, 400)], 0.45f);

        Assert.Equal([0.9f, 0.5f], kept.Select(k => k.Score));
    }

    [Fact]
    public void PerClass_SameBoxDifferentClasses_KeepsBoth()
    {
        var kept = Nms.PerClass([D(2, 0.65f, 0, 0, 100, 100), D(7, 0.4f, 0, 0, 100, 100)], 0.45f);

        Assert.Equal([2, 7], kept.Select(k => k.ClassId));
    }

    [Fact]
    public void PerClass_OverlapExactlyAtThreshold_IsNotSuppressed()
    {
        // IoU of these two is exactly 1/3: suppression needs more than the threshold.
        var kept = Nms.PerClass([D(0, 0.9f, 0, 0, 10, 10), D(0, 0.8f, 5, 0, 15, 10)], 1f / 3f);

        Assert.Equal(2, kept.Count);
        Assert.Single(Nms.PerClass([D(0, 0.9f, 0, 0, 10, 10), D(0, 0.8f, 5, 0, 15, 10)], 0.3f));
    }

    [Fact]
    public void PerClass_EqualScores_KeepsTheEarlierCandidate()
    {
        var first = D(0, 0.7f, 0, 0, 10, 10);
        var second = D(0, 0.7f, 1, 1, 11, 11);

        Assert.Equal([first], Nms.PerClass([first, second], 0.45f));
        Assert.Equal([second], Nms.PerClass([second, first], 0.45f));
    }

    [Fact]
    public void AcrossClasses_SameBoxDifferentClasses_KeepsTheBetter()
    {
        var kept = Nms.AcrossClasses([D(7, 0.4f, 0, 0, 100, 100), D(2, 0.65f, 1, 0, 100, 101)], 0.7f);

        Assert.Equal(2, Assert.Single(kept).ClassId);
    }

    [Fact]
    public void Select_CarAlsoSeenAsTruck_CountsOneVehicleAndNamesTheOtherSameVehicle()
    {
        var settings = new DetectorSettings();
        var detections = new[]
        {
            D(2, 0.67f, 393, 282, 692, 659, "car"), D(0, 0.41f, 1100, 162, 1286, 451, "person"),
            D(7, 0.40f, 393, 282, 691, 660, "truck"), D(2, 0.5f, 10, 10, 30, 30, "car"),
        };

        var selection = VehicleSelection.Select(detections, settings, 1504, 1000);

        Assert.Equal([DetectionRole.Vehicle, DetectionRole.TooSmall, DetectionRole.OtherClass, DetectionRole.SameVehicle], selection.Select(s => s.Role));
        // 5% of 299 x 377 on every side, rounded outwards.
        Assert.Equal(new PixelRect(378, 263, 329, 415), selection[0].CropRect);
        Assert.All(selection.Skip(1), s => Assert.Null(s.CropRect));
    }

    [Fact]
    public void Around_BoxAtTheEdge_IsClippedToTheImage()
    {
        var rect = PixelRect.Around(new BoundingBox(0.5f, 10, 100, 60), 0.1f, 105, 62);

        Assert.Equal(new PixelRect(0, 5, 105, 57), rect);
    }
}
