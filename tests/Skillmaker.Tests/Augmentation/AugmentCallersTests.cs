using SkiaSharp;
using Skillmaker.Augmentation;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Augmentation;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Tests.Augmentation;

/// <summary>The callers of the augmenter: training rows carry a crop's parent photo to the embedder, the
/// box step really grows from it (within the parent), and copy-paste donors share the label.</summary>
public sealed class AugmentCallersTests
{
    private static readonly AugmentationStep Enlarge = new() { Op = "box", P = 1, Percent = 40 };

    [Fact]
    public void Apply_BoxAtParentCorner_EnlargedFromParentAndClippedToIt()
    {
        using var parent = SKBitmap.Decode(TestAssets.CarPhotos()[3]).Copy(SKColorType.Rgba8888);
        var box = new SKRectI(0, 0, parent.Width / 2, parent.Height / 2);
        using var crop = new SKBitmap(box.Width, box.Height);
        parent.ExtractSubset(crop, box);
        var augmenter = new Augmenter([Enlarge]);

        var copies = Enumerable.Range(1, 12).Select(k => augmenter.Apply(new AugmentSource(crop, parent, box), 7, "x", k)).ToList();
        try
        {
            // Growing around the centre past the corner is clipped at the parent's top and left edges:
            // an enlarged copy is wider than the crop but never more than the parent allows.
            var grown = copies.Where(c => c.Width > box.Width).ToList();
            Assert.NotEmpty(grown);
            Assert.All(copies, c => Assert.True(c.Width <= box.Width * 1.2 + 1 && c.Height <= box.Height * 1.2 + 1, $"{c.Width}x{c.Height}"));
            // Its extra pixels come from the parent, beyond the crop: the bottom-right pixel is the parent's, not the crop's edge.
            var g = grown[0];
            Assert.Equal(parent.GetPixel(g.Width - 1, g.Height - 1).Red, g.GetPixel(g.Width - 1, g.Height - 1).Red, tolerance: 24);
            Assert.NotEqual(Sha256Hex.Of(crop.Copy(SKColorType.Rgba8888).GetPixelSpan()), Sha256Hex.Of(g.GetPixelSpan()));
        }
        finally
        {
            foreach (var c in copies) c.Dispose();
        }
    }

    [Fact]
    public async Task EmbedAsync_CropWithParent_BoxCopyDiffersFromCopyWithoutParent()
    {
        var parentBytes = await File.ReadAllBytesAsync(TestAssets.CarPhotos()[5]);
        using var parent = ImageDecoding.DecodeOriented(parentBytes, "parent");
        var rect = new PixelRect(parent.Width / 5, parent.Height / 5, parent.Width * 3 / 5, parent.Height * 3 / 5);
        using var crop = new SKBitmap();
        Assert.True(parent.ExtractSubset(crop, new SKRectI(rect.X, rect.Y, rect.X + rect.Width, rect.Y + rect.Height)));
        var images = new Dictionary<string, byte[]> { ["parent"] = parentBytes, ["crop"] = ImageDecoding.EncodePng(crop) };
        using var dir = new TempDir("augment-callers");
        var spec = new BackboneSpec { Path = TestAssets.Backbone, Output = "features", Preprocessing = new PreprocessingSpec { Resize = ResizeMode.Stretch, Crop = CropMode.None } };
        using var backbone = Backbone.Open(TestAssets.Backbone, spec, 1);
        var embedder = new Embedder(backbone, await Sha256Hex.OfFileAsync(TestAssets.Backbone, CancellationToken.None), new EmbeddingCache(dir.Path), (id, _) => Task.FromResult(images[id]),
            new EmbedderOptions { AugmentationSteps = [Enlarge], Seed = 7 });
        var copies = Enumerable.Range(1, 4).ToList();

        var (with, _) = await embedder.EmbedAsync([.. copies.Select(k => new EmbeddingRequest("crop", k, null, "parent", rect))], null, CancellationToken.None);
        var (without, _) = await embedder.EmbedAsync([.. copies.Select(k => new EmbeddingRequest("crop", k))], null, CancellationToken.None);

        Assert.NotEqual(embedder.KeyOf(new EmbeddingRequest("crop", 1, null, "parent", rect)), embedder.KeyOf(new EmbeddingRequest("crop", 1)));
        // At least one copy grows (the scale is drawn in ±40 %), and then it sees more than the crop holds.
        Assert.Contains(copies.Select((_, i) => with[i].Zip(without[i], (a, b) => Math.Abs(a - b)).Sum()), d => d > 1);
    }

    [Fact]
    public void TrainingRows_CropsWithOriginAndCopyPaste_ParentCarriedAndDonorsOfSameClass()
    {
        var train = Enumerable.Range(0, 9).Select(i => new ManifestItem($"img{i}", i % 2 == 0 ? $"photo{i}" : null, $"class{i % 3}", Split.Train, $"g{i}")).ToList();
        var origins = train.Where(t => t.ParentId is not null).ToDictionary(t => t.ImageId, t => new CropOrigin(t.ParentId!, 100, 80, new PixelRect(10, 10, 50, 40)));
        IReadOnlyList<AugmentationStep> steps = [Enlarge, new AugmentationStep { Op = "copy-paste", P = 1 }];

        var (requests, labels) = TrainingService.TrainingRows(train, ["class0", "class1", "class2"], copies: 3, steps, origins);

        Assert.Equal(9 * 4, requests.Count);
        var classOf = train.ToDictionary(t => t.ImageId, t => t.Class);
        foreach (var r in requests.Where(r => r.Copy > 0))
        {
            Assert.NotNull(r.DonorId);
            Assert.NotEqual(r.ImageId, r.DonorId);
            Assert.Equal(classOf[r.ImageId], classOf[r.DonorId!]);
            Assert.Equal(origins.GetValueOrDefault(r.ImageId)?.ParentId, r.ParentId);
        }
        Assert.All(requests.Where(r => r.Copy == 0), r => Assert.Null(r.DonorId));
        Assert.Equal(requests.Select(r => classOf[r.ImageId]), labels.Select(l => $"class{l}"));
    }
}
