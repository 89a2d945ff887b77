using SkiaSharp;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Ingest;
using Skillmaker.Review;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Tests.Support;

/// <summary>A crop cut from a real car photo, recorded the way the detection stage records crops.</summary>
public sealed record TestCrop(string CropId, string ParentId, string Label, CropBox Box);

/// <summary>Cuts crops from the real car photos (labelled by their class folder) with SkiaSharp and
/// records them in the catalog as Kind=Crop with their parent, as detection does.</summary>
public static class Crops
{
    /// <summary>Ingests <paramref name="perClass"/> photos of each of the first <paramref name="classes"/>
    /// classes (label hints from folders, or <paramref name="labelOf"/> the folder) and cuts one crop from each.</summary>
    public static async Task<IReadOnlyList<TestCrop>> MakeAsync(TestWorkspace ws, int classes, int perClass, Func<string, string>? labelOf = null)
    {
        var photos = TestAssets.CarPhotos()
            .GroupBy(p => Path.GetFileName(Path.GetDirectoryName(p))!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Take(classes)
            .SelectMany(g => g.Take(perClass).Select(p => (Path: p, Label: labelOf?.Invoke(g.Key) ?? g.Key))).ToList();
        var manifest = ws.Scratch.File($"feeds/{Guid.NewGuid():N}.csv");
        // Labels ingest refuses (markup, for page tests) are written straight into the catalog below, as a
        // catalog from before label names were checked would hold them.
        await File.WriteAllLinesAsync(manifest, ["path,label", .. photos.Select(p => $"{p.Path},{(LabelNames.IsValid(p.Label) ? p.Label : "")}")]);
        var summary = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "cars", ManifestRoots = [TestAssets.Dir] }, null, CancellationToken.None);
        Assert.Empty(summary.Rejected);
        foreach (var (path, label) in photos.Where(p => !LabelNames.IsValid(p.Label)))
        {
            var id = Sha256Hex.Of(await File.ReadAllBytesAsync(path));
            var at = DateTimeOffset.UtcNow;
            await ws.Catalog.RecordIngestAsync(new IngestWrite
            {
                ImageId = id,
                Occurrence = new ImageOccurrence { ImageId = id, Source = "legacy", OriginalPath = path, OriginalFileName = Path.GetFileName(path), RunId = "test-legacy", SeenAt = at },
                Labels = [new LabelRecord { ImageId = id, Label = label, Status = LabelStatus.Hint, Provenance = Provenance.Source, Actor = "legacy", RecordedAt = at }],
            }, CancellationToken.None);
        }

        var probe = new SkiaImageProbe();
        var crops = new List<TestCrop>();
        foreach (var (path, label) in photos)
        {
            var bytes = await File.ReadAllBytesAsync(path);
            var parentId = Sha256Hex.Of(bytes);
            using var photo = ImageDecoding.DecodeOriented(bytes, path);
            // The middle of the photo, as a detector's box around the car would be.
            var box = new CropBox(photo.Width / 8, photo.Height / 6, photo.Width * 3 / 4, photo.Height * 2 / 3, photo.Width, photo.Height);
            using var cut = new SKBitmap(box.Width, box.Height);
            Assert.True(photo.ExtractSubset(cut, new SKRectI(box.X, box.Y, box.X + box.Width, box.Y + box.Height)));
            var cropBytes = TestImages.Encode(cut, SKEncodedImageFormat.Jpeg, 90);
            var cropId = Sha256Hex.Of(cropBytes);
            var probed = probe.Probe(cropBytes, new ImageProbeOptions()).Image!;
            await ws.Blobs.PutAsync(cropId, cropBytes, CancellationToken.None);
            var now = DateTimeOffset.UtcNow;
            await ws.Catalog.RecordIngestAsync(new IngestWrite
            {
                ImageId = cropId,
                NewImage = new ImageRecord
                {
                    Id = cropId, Kind = ImageKind.Crop, ParentId = parentId, ByteSize = cropBytes.Length, Format = ImageFormatSniffer.Name(probed.Format),
                    Width = probed.Width, Height = probed.Height, ExifOrientation = 1, PerceptualHash = probed.PerceptualHash, IngestedAt = now,
                },
                Occurrence = new ImageOccurrence
                {
                    ImageId = cropId, Source = "detect", OriginalPath = $"crop:{parentId}:{box.X},{box.Y},{box.Width},{box.Height}",
                    OriginalFileName = $"{Path.GetFileNameWithoutExtension(path)}-crop.jpg", RunId = "test-crops", SeenAt = now,
                },
            }, CancellationToken.None);
            crops.Add(new TestCrop(cropId, parentId, label, box));
        }
        return crops;
    }

    /// <summary>Boxes of the crops this fixture cut, served as the detection store would.</summary>
    public sealed class Boxes(IEnumerable<TestCrop> crops) : ICropBoxSource
    {
        private readonly Dictionary<string, CropBox> _boxes = crops.ToDictionary(c => c.CropId, c => c.Box);
        public Task<CropBox?> GetBoxAsync(string cropId, CancellationToken cancellationToken) => Task.FromResult(_boxes.TryGetValue(cropId, out var b) ? b : null);
    }
}
