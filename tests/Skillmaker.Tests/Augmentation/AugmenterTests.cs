using SkiaSharp;
using Skillmaker.Augmentation;
using Skillmaker.Common;
using Skillmaker.Vision.Augmentation;

namespace Skillmaker.Tests.Augmentation;

public sealed class AugmenterTests
{
    private static SKBitmap Car(int index = 0) => SKBitmap.Decode(TestAssets.CarPhotos()[index]).Copy(SKColorType.Rgba8888);

    private static string PixelHash(SKBitmap bitmap) => Sha256Hex.Of(bitmap.GetPixelSpan());

    [Fact]
    public void Apply_SameSeedKeyAndCopy_SamePixels()
    {
        using var car = Car();
        using var donor = Car(40);
        var augmenter = new Augmenter(AugmentationSteps.Defaults);

        var hashes = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 6).Select(k =>
        {
            using var copy = augmenter.Apply(new AugmentSource(car), 42, "img", k, donor);
            return PixelHash(copy);
        }).ToList()).ToList();
        using var otherSeed = augmenter.Apply(new AugmentSource(car), 43, "img", 0, donor);

        Assert.Equal(hashes[0], hashes[1]);
        Assert.True(hashes[0].Distinct().Count() >= 5, "copies of one image should differ");
        Assert.NotEqual(hashes[0][0], PixelHash(otherSeed));
    }

    [Fact]
    public void Apply_HorizontalFlipAlways_MirrorsPixels()
    {
        using var car = Car();
        var augmenter = new Augmenter([new AugmentationStep { Op = "hflip", P = 1 }]);

        using var flipped = augmenter.Apply(new AugmentSource(car), 1, "x", 0);

        Assert.Equal((car.Width, car.Height), (flipped.Width, flipped.Height));
        foreach (var (x, y) in new[] { (0, 0), (5, car.Height / 2), (car.Width / 3, car.Height - 1) })
            Assert.Equal(car.GetPixel(car.Width - 1 - x, y), flipped.GetPixel(x, y));
    }

    [Fact]
    public void Apply_ProbabilityZero_LeavesImageUnchanged()
    {
        using var car = Car();
        var augmenter = new Augmenter([.. AugmentationSteps.Defaults.Select(s => s with { P = 0 })]);

        using var copy = augmenter.Apply(new AugmentSource(car), 1, "x", 0, car);

        Assert.Equal(PixelHash(car), PixelHash(copy));
    }

    [Fact]
    public void Apply_BoxEnlargeWithParent_CutsWiderFromParent()
    {
        using var parent = Car();
        var box = new SKRectI(parent.Width / 4, parent.Height / 4, parent.Width * 3 / 4, parent.Height * 3 / 4);
        using var crop = new SKBitmap(box.Width, box.Height);
        parent.ExtractSubset(crop, box);
        var augmenter = new Augmenter([new AugmentationStep { Op = "box", P = 1, Percent = 40 }]);

        var sizes = Enumerable.Range(0, 20).Select(k =>
        {
            using var copy = augmenter.Apply(new AugmentSource(crop, parent, box), 3, "x", k);
            return copy.Width;
        }).ToList();

        Assert.Contains(sizes, w => w > box.Width * 1.1);
        Assert.Contains(sizes, w => w < box.Width * 0.9);
        Assert.All(sizes, w => Assert.InRange(w, box.Width * 0.59, box.Width * 1.41));
    }

    [Fact]
    public void Apply_OcclusionAlways_ChangesBoundedShareOfPixels()
    {
        using var car = Car();
        var augmenter = new Augmenter([new AugmentationStep { Op = "occlude", P = 1, MaxArea = 0.2 }]);

        using var copy = augmenter.Apply(new AugmentSource(car), 5, "x", 0);

        var changed = 0;
        for (var y = 0; y < car.Height; y++)
            for (var x = 0; x < car.Width; x++)
                if (car.GetPixel(x, y) != copy.GetPixel(x, y)) changed++;
        var share = changed / (double)(car.Width * car.Height);
        Assert.InRange(share, 0.01, 0.21);
    }

    [Fact]
    public void Apply_HsvShift_KeepsSizeAndChangesColours()
    {
        using var car = Car();
        var augmenter = new Augmenter([new AugmentationStep { Op = "hsv", P = 1, Hue = 60, Saturation = 0.5, Value = 0.3 }]);

        using var copy = augmenter.Apply(new AugmentSource(car), 9, "x", 1);

        Assert.Equal((car.Width, car.Height), (copy.Width, copy.Height));
        Assert.NotEqual(PixelHash(car), PixelHash(copy));
    }

    [Theory]
    [InlineData("blur", "augmentations[0].op: 'blur' is not an augmentation; allowed: box, rotate, hflip")]
    [InlineData("rotate", "augmentations[0].degrees: 90 is outside [0, 45]")]
    public void Constructor_InvalidStep_ErrorNamesFieldAndRange(string op, string expected)
    {
        var ex = Assert.Throws<SkillmakerException>(() => new Augmenter([new AugmentationStep { Op = op, Degrees = 90 }]));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Validate_ProbabilityOutOfRange_Named()
    {
        var errors = AugmentationSteps.Validate([new AugmentationStep { Op = "hflip" }, new AugmentationStep { Op = "vflip", P = 1.5 }]);

        Assert.Equal("augmentations[1].p: 1.5 is outside [0, 1]", Assert.Single(errors));
    }
}
