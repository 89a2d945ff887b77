using Skillmaker.Vision.Detection;

namespace Skillmaker.Tests.Detection;

public sealed class YoloOutputDecoderTests
{
    [Theory]
    [InlineData(new long[] { 1, 84, 8400 }, null, YoloLayout.V8, 80)]
    [InlineData(new long[] { 1, 84, 8400 }, 80, YoloLayout.V8, 80)]
    [InlineData(new long[] { 1, 25200, 85 }, null, YoloLayout.V5, 80)]
    [InlineData(new long[] { 1, 25200, 85 }, 80, YoloLayout.V5, 80)]
    [InlineData(new long[] { -1, 84, -1 }, null, YoloLayout.V8, 80)]
    [InlineData(new long[] { -1, -1, 7 }, null, YoloLayout.V5, 2)]
    [InlineData(new long[] { 1, 5, 8400 }, 1, YoloLayout.V8, 1)]
    public void Classify_DetectorShapes_TellsTheLayoutApart(long[] shape, int? classes, YoloLayout layout, int classCount)
    {
        var result = YoloOutputDecoder.Classify(shape, classes, out var problem);

        Assert.Null(problem);
        Assert.Equal((layout, classCount), result);
    }

    [Theory]
    [InlineData(new long[] { -1, 1000 }, null, "rank 2")]
    [InlineData(new long[] { 1, 84, 8400 }, 3, "3 class names need [1, 7, N] or [1, N, 8]")]
    [InlineData(new long[] { 4, 84, 8400 }, null, "batch 4")]
    [InlineData(new long[] { 1, -1, -1 }, null, "dynamic")]
    [InlineData(new long[] { 1, 4, 8400 }, null, "no class scores")]
    public void Classify_OtherShapes_SaysWhy(long[] shape, int? classes, string reason)
    {
        Assert.Null(YoloOutputDecoder.Classify(shape, classes, out var problem));
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void Decode_V8ChannelsFirst_TakesEachAnchorsBestClassAboveTheMinimum()
    {
        // 3 anchors, 2 classes; rows: cx, cy, w, h, class 0, class 1.
        float[] output =
        [
            100, 200, 300,   // cx
            50, 60, 70,      // cy
            20, 40, 10,      // w
            10, 20, 30,      // h
            0.9f, 0.1f, 0.2f, // class 0
            0.3f, 0.8f, 0.1f, // class 1
        ];

        var found = YoloOutputDecoder.Decode(output, YoloLayout.V8, 3, ["car", "truck"], 0.25f);

        Assert.Equal(2, found.Count);
        Assert.Equal(("car", 0.9f), (found[0].ClassName, found[0].Score));
        Assert.Equal(new Skillmaker.Detection.BoundingBox(90, 45, 110, 55), found[0].Box);
        Assert.Equal((1, "truck", 0.8f), (found[1].ClassId, found[1].ClassName, found[1].Score));
        Assert.Equal(new Skillmaker.Detection.BoundingBox(180, 50, 220, 70), found[1].Box);
    }

    [Fact]
    public void Decode_V5AnchorsFirst_MultipliesObjectnessByClassScore()
    {
        // 2 anchors, 2 classes; each row: cx, cy, w, h, objectness, class 0, class 1.
        float[] output =
        [
            10, 10, 4, 4, 0.5f, 0.9f, 0.2f,  // 0.45 car
            50, 50, 8, 8, 0.9f, 0.1f, 0.2f,  // 0.18 truck: below 0.25
        ];

        var found = YoloOutputDecoder.Decode(output, YoloLayout.V5, 2, ["car", "truck"], 0.25f);

        var only = Assert.Single(found);
        Assert.Equal("car", only.ClassName);
        Assert.Equal(0.45f, only.Score, 5);
        Assert.Equal(new Skillmaker.Detection.BoundingBox(8, 8, 12, 12), only.Box);
    }

    [Fact]
    public void Decode_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => YoloOutputDecoder.Decode(new float[10], YoloLayout.V8, 3, ["car"], 0.25f));
    }

    [Fact]
    public void ParseMetadata_UltralyticsNames_InIndexOrder()
    {
        var names = YoloDetector.ClassNames.ParseMetadata("{0: 'person', 2: \"car\", 1: 'bicycle'}");

        Assert.Equal(["person", "bicycle", "car"], names);
        Assert.Null(YoloDetector.ClassNames.ParseMetadata("{0: 'person', 2: 'car'}"));
        Assert.Null(YoloDetector.ClassNames.ParseMetadata("person,car"));
    }
}
