using SkiaSharp;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Host;
using Skillmaker.Imaging;
using Skillmaker.Ingest;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Testing;

/// <summary>One crop as <see cref="DetectedCrops"/> cut it: its photo's label, its box and the detector's score.</summary>
public sealed record DetectedCrop(string CropId, string ParentId, string Label, PixelRect Box, int ParentWidth, int ParentHeight, float Score);

/// <summary>What to cut from the <c>i</c>-th photo: the crop's size in pixels (null: the middle three quarters)
/// and the detector's score.</summary>
public sealed record CropCut(int? Width = null, int? Height = null, float Score = 0.9f);

/// <summary>Real car photos ingested under a source, one crop cut from each with SkiaSharp and recorded the
/// way the detection stage records it (a detect run, the detection with its score and rectangle, the crop
/// image), so the review grid's boxes, sources and confidences come from the real stores.</summary>
public static class DetectedCrops
{
    public static async Task<IReadOnlyList<DetectedCrop>> MakeAsync(LineServices line, int classes, int perClass, string source = "cars",
        Func<int, CropCut>? cut = null, CancellationToken cancellationToken = default)
    {
        var photos = TestAssets.CarPhotos()
            .GroupBy(p => Path.GetFileName(Path.GetDirectoryName(p))!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Take(classes)
            .SelectMany(g => g.Take(perClass).Select(p => (Path: p, Label: g.Key))).ToList();
        var manifest = Path.Combine(line.Workspace.StateDirectory, $"feed-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(manifest, ["path,label", .. photos.Select(p => $"{p.Path},{p.Label}")], cancellationToken);
        var summary = await line.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = source, ManifestRoots = [TestAssets.Dir] }, null, cancellationToken);
        if (summary.Rejected.Count > 0) throw new InvalidOperationException($"{summary.Rejected.Count} photos were rejected at ingest.");

        var store = line.DetectionStore;
        var run = $"test-{Guid.NewGuid():N}"[..16];
        const string model = "test-detector";
        await store.StartRunAsync(new DetectRun(run, model, "test.onnx", "{}", DateTimeOffset.UtcNow), cancellationToken);
        var probe = new SkiaImageProbe();
        var crops = new List<DetectedCrop>();
        for (var i = 0; i < photos.Count; i++)
        {
            var (path, label) = photos[i];
            var spec = cut?.Invoke(i) ?? new CropCut();
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            var parentId = Sha256Hex.Of(bytes);
            using var photo = ImageDecoding.DecodeOriented(bytes, path);
            var w = Math.Min(photo.Width, spec.Width ?? photo.Width * 3 / 4);
            var h = Math.Min(photo.Height, spec.Height ?? photo.Height * 2 / 3);
            var box = new PixelRect((photo.Width - w) / 2, (photo.Height - h) / 2, w, h);
            using var piece = new SKBitmap(w, h);
            if (!photo.ExtractSubset(piece, new SKRectI(box.X, box.Y, box.X + w, box.Y + h))) throw new InvalidOperationException($"Could not cut {path}.");
            using var image = SKImage.FromBitmap(piece);
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
            var cropBytes = data.ToArray();
            var cropId = Sha256Hex.Of(cropBytes);
            var probed = probe.Probe(cropBytes, new ImageProbeOptions()).Image!;
            await line.Blobs.PutAsync(cropId, cropBytes, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            await store.RecordAsync(new ImageDetectionWrite
            {
                ImageId = parentId, ModelSha256 = model, RunId = run, Outcome = DetectionOutcome.One, ProcessedAt = now,
                Detections = [new StoredDetection
                {
                    Rank = 0, ClassId = 2, ClassName = "car", Score = spec.Score, Box = new BoundingBox(box.X, box.Y, box.X + w, box.Y + h),
                    Role = DetectionRole.Vehicle, CropRect = box, CropId = cropId,
                }],
                Crops = [new ImageRecord
                {
                    Id = cropId, Kind = ImageKind.Crop, ParentId = parentId, ByteSize = cropBytes.Length, Format = ImageFormatSniffer.Name(probed.Format),
                    Width = probed.Width, Height = probed.Height, ExifOrientation = 1, PerceptualHash = probed.PerceptualHash, IngestedAt = now.AddTicks(i),
                }],
            }, cancellationToken);
            crops.Add(new DetectedCrop(cropId, parentId, label, box, photo.Width, photo.Height, spec.Score));
        }
        await store.FinishRunAsync(new DetectRunResult { RunId = run, FinishedAt = DateTimeOffset.UtcNow, Status = DetectRunStatus.Completed, Processed = crops.Count, Vehicles = crops.Count }, cancellationToken);
        return crops;
    }
}
