using Skillmaker.Detection;
using Skillmaker.Vision.Detection;

namespace Skillmaker.Tests.Detection;

public sealed class LetterboxTests
{
    [Fact]
    public void Fit_PortraitPhoto_ScalesToHeightAndPadsLeftAndRight()
    {
        var lb = Letterbox.Fit(810, 1080, 640, 640);

        Assert.Equal((480, 640), (lb.ResizedWidth, lb.ResizedHeight));
        Assert.Equal((80, 0), (lb.PadLeft, lb.PadTop));
    }

    [Fact]
    public void Fit_LandscapePhoto_ScalesToWidthAndPadsTopAndBottom()
    {
        var lb = Letterbox.Fit(1280, 720, 640, 640);

        Assert.Equal((640, 360), (lb.ResizedWidth, lb.ResizedHeight));
        Assert.Equal((0, 140), (lb.PadLeft, lb.PadTop));
    }

    [Fact]
    public void Fit_SmallImage_ScalesUpAndSplitsOddPaddingToTheLeftOfCentre()
    {
        // 100x61 scaled by 6.4 is 640x390.4, rounded to 390; 250 px of padding, 125 on top.
        var lb = Letterbox.Fit(100, 61, 640, 640);

        Assert.Equal((640, 390, 0, 125), (lb.ResizedWidth, lb.ResizedHeight, lb.PadLeft, lb.PadTop));
        var odd = Letterbox.Fit(641, 100, 640, 640);
        Assert.Equal((640, 100), (odd.ResizedWidth, odd.ResizedHeight));
        Assert.Equal(270, odd.PadTop);
    }

    [Fact]
    public void ToSource_BoxMappedToTargetAndBack_IsTheSameBox()
    {
        var lb = Letterbox.Fit(810, 1080, 640, 640);
        var box = new BoundingBox(35, 231, 797, 772);

        var back = lb.ToSource(lb.ToTarget(box));

        Assert.Equal(box.X1, back.X1, 3);
        Assert.Equal(box.Y1, back.Y1, 3);
        Assert.Equal(box.X2, back.X2, 3);
        Assert.Equal(box.Y2, back.Y2, 3);
    }

    [Fact]
    public void ToSource_ModelBox_UndoesPaddingAndScale()
    {
        var lb = Letterbox.Fit(1280, 720, 640, 640);

        // The model's (100, 140)-(300, 240) sits in the picture from x 100, y 0, at half scale.
        var box = lb.ToSource(new BoundingBox(100, 140, 300, 240));

        Assert.Equal(new BoundingBox(200, 0, 600, 200), box);
    }

    [Fact]
    public void ToSource_BoxReachingIntoThePadding_IsClippedToTheImage()
    {
        var lb = Letterbox.Fit(810, 1080, 640, 640);

        var box = lb.ToSource(new BoundingBox(70, -5, 600, 700));

        Assert.Equal(0f, box.X1);
        Assert.Equal(0f, box.Y1);
        Assert.Equal(810f, box.X2);
        Assert.Equal(1080f, box.Y2);
    }

    [Fact]
    public void Fit_EmptySource_Throws()
    {
        Assert.Throws<ArgumentException>(() => Letterbox.Fit(0, 10, 640, 640));
    }
}
