using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Detection;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Tests.Detection;

/// <summary>Detection over a workspace, run against every storage engine combination.</summary>
public abstract class DetectServiceContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string[] Scenes = ["bus.jpg", "parking_lot_multi.jpg", "zidane.jpg", "sunset_sea.jpg"];

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    /// <summary>Removes a blob behind the store's back, as a lost file or object would.</summary>
    protected abstract Task DeleteBlobAsync(TestWorkspace ws, string sha256);

    private async Task<TestWorkspace> WorkspaceWithScenesAsync(params string[] files)
    {
        var ws = await CreateWorkspaceAsync();
        await ws.Ingest().RunAsync(new IngestRequest { Paths = [.. files.Select(TestAssets.Scene)], Source = "scenes" }, null, None);
        return ws;
    }

    private static DetectService Service(TestWorkspace ws, IObjectDetector? detector = null, DetectorSettings? settings = null) =>
        new(WorkspaceStorage.OpenDetectionStore(ws.Catalog), ws.Blobs, detector ?? DetectionAssets.Detector, settings ?? new DetectorSettings(), TimeProvider.System, NullLogger<DetectService>.Instance);

    private static async Task<string> IdOf(string scene) => await Sha256Hex.OfFileAsync(TestAssets.Scene(scene), None);

    [Fact]
    public async Task RunAsync_FourScenes_GivesEachImageItsOutcome()
    {
        await using var ws = await WorkspaceWithScenesAsync(Scenes);

        var summary = await Service(ws).RunAsync(new DetectRequest(), null, None);

        Assert.Equal((4, 2, 1, 1, 0), (summary.Processed, summary.NoVehicle, summary.OneVehicle, summary.SeveralVehicles, summary.Failed.Count));
        var store = WorkspaceStorage.OpenDetectionStore(ws.Catalog);
        var sha = DetectionAssets.Detector.Model.Sha256;
        var bus = await store.GetResultAsync(await IdOf("bus.jpg"), sha, None);
        Assert.Equal(DetectionOutcome.One, bus!.Outcome);
        Assert.Equal("bus", Assert.Single(bus.Detections, d => d.Role == DetectionRole.Vehicle).ClassName);
        // Every detection is kept, not only vehicles: the people in the bus photo are recorded too.
        Assert.Contains(bus.Detections, d => d.ClassName == "person" && d.Role == DetectionRole.OtherClass && d.CropId is null);
        var lot = await store.GetResultAsync(await IdOf("parking_lot_multi.jpg"), sha, None);
        Assert.Equal(DetectionOutcome.Several, lot!.Outcome);
        Assert.True(lot.Detections.Count(d => d.ClassName == "car" && d.Role == DetectionRole.Vehicle) >= 2);
        foreach (var scene in new[] { "zidane.jpg", "sunset_sea.jpg" })
        {
            var none = await store.GetResultAsync(await IdOf(scene), sha, None);
            Assert.Equal(DetectionOutcome.None, none!.Outcome);
            Assert.DoesNotContain(none.Detections, d => d.Role == DetectionRole.Vehicle);
        }
    }

    [Fact]
    public async Task RunAsync_Vehicles_EachGetsACropImageCutFromItsBox()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg", "parking_lot_multi.jpg");

        var summary = await Service(ws).RunAsync(new DetectRequest(), null, None);

        var vehicles = summary.Images.SelectMany(i => i.Vehicles.Select(v => (Parent: i.ImageId, Vehicle: v))).ToList();
        Assert.True(vehicles.Count >= 3);
        Assert.Equal(vehicles.Count, summary.CropsCreated);
        Assert.Equal(vehicles.Count, (await ws.Catalog.CountAsync(None)).Crops);
        foreach (var (parent, v) in vehicles)
        {
            var crop = (await ws.Catalog.GetImageAsync(v.CropId, None))!.Image;
            Assert.Equal((ImageKind.Crop, parent, "jpeg"), (crop.Kind, crop.ParentId, crop.Format));
            Assert.Equal((v.CropRect.Width, v.CropRect.Height), (crop.Width, crop.Height));
            // The crop rectangle holds the box, grown by the padding.
            Assert.True(v.CropRect.X <= v.Box.X1 && v.CropRect.Y <= v.Box.Y1 && v.CropRect.X + v.CropRect.Width >= v.Box.X2 && v.CropRect.Y + v.CropRect.Height >= v.Box.Y2);
            var bytes = await ws.Blobs.ReadAllBytesAsync(v.CropId, None);
            Assert.Equal(crop.ByteSize, bytes.Length);
            using var decoded = OrientedDecoder.Decode(bytes);
            using var original = OrientedDecoder.Decode(await ws.Blobs.ReadAllBytesAsync(parent, None));
            Assert.Equal((v.CropRect.Width, v.CropRect.Height), (decoded.Width, decoded.Height));
            var centre = original.GetPixel(v.CropRect.X + v.CropRect.Width / 2, v.CropRect.Y + v.CropRect.Height / 2);
            var cropCentre = decoded.GetPixel(v.CropRect.Width / 2, v.CropRect.Height / 2);
            Assert.InRange(Math.Abs(centre.Red - cropCentre.Red) + Math.Abs(centre.Green - cropCentre.Green) + Math.Abs(centre.Blue - cropCentre.Blue), 0, 30);
        }
        var crops = await ws.Catalog.ListImagesAsync(new ImageQuery { Kind = ImageKind.Crop }, None);
        Assert.Equal(vehicles.Select(v => v.Vehicle.CropId).Order(), crops.Select(c => c.Image.Id).Order());
    }

    [Fact]
    public async Task RunAsync_SecondRunSameModel_DoesNothingNew()
    {
        await using var ws = await WorkspaceWithScenesAsync(Scenes);
        var first = await Service(ws).RunAsync(new DetectRequest(), null, None);
        var countsBefore = await ws.Catalog.CountAsync(None);

        var second = await Service(ws).RunAsync(new DetectRequest(), null, None);

        Assert.Equal(4, first.Processed);
        Assert.Equal((0, 4, 0), (second.Processed, second.AlreadyProcessed, second.CropsCreated));
        Assert.Equal(countsBefore, await ws.Catalog.CountAsync(None));
        Assert.Equal(4, (await WorkspaceStorage.OpenDetectionStore(ws.Catalog).ListResultsAsync(null, None)).Count);
    }

    [Fact]
    public async Task RunAsync_ModelFileWithAnotherSha_ProcessesEveryImageAgain()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg", "zidane.jpg");
        await Service(ws).RunAsync(new DetectRequest(), null, None);
        using var other = YoloDetector.Load(DetectionAssets.ModelWithOtherSha(ws.Scratch.Path), null, 0);
        Assert.NotEqual(DetectionAssets.Detector.Model.Sha256, other.Model.Sha256);

        var again = await Service(ws, other).RunAsync(new DetectRequest(), null, None);

        Assert.Equal((2, 0), (again.Processed, again.AlreadyProcessed));
        var results = await WorkspaceStorage.OpenDetectionStore(ws.Catalog).ListResultsAsync(null, None);
        Assert.Equal(4, results.Count);
        Assert.Equal(2, results.Count(r => r.ModelSha256 == other.Model.Sha256));
        // The same network cuts the same crop, which the catalog holds once.
        Assert.Equal(1, (await ws.Catalog.CountAsync(None)).Crops);
    }

    [Fact]
    public async Task RunAsync_ImageThatNoLongerDecodes_IsReportedAndTheBatchGoesOn()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg", "zidane.jpg");
        // Bytes an older ingest let through: a JPEG cut off in its header.
        var broken = File.ReadAllBytes(TestAssets.Scene("bus.jpg"))[..600];
        var brokenId = Sha256Hex.Of(broken);
        await ws.Blobs.PutAsync(brokenId, broken, None);
        await ws.Catalog.RecordIngestAsync(new IngestWrite
        {
            ImageId = brokenId,
            NewImage = new ImageRecord
            {
                Id = brokenId, Kind = ImageKind.Original, ByteSize = broken.Length, Format = "jpeg", Width = 10, Height = 10, ExifOrientation = 1,
                PerceptualHash = 0, IngestedAt = DateTimeOffset.UtcNow,
            },
            Occurrence = new ImageOccurrence { ImageId = brokenId, Source = "old", OriginalPath = "/old/broken.jpg", OriginalFileName = "broken.jpg", RunId = "r", SeenAt = DateTimeOffset.UtcNow },
        }, None);

        var summary = await Service(ws).RunAsync(new DetectRequest(), null, None);

        Assert.Equal(3, summary.Processed);
        var failed = Assert.Single(summary.Failed);
        Assert.Equal((brokenId, "broken.jpg"), (failed.ImageId, failed.FileName));
        Assert.Contains("JPEG", failed.Error);
        Assert.Equal((1, 1), (summary.OneVehicle, summary.NoVehicle));
        var recorded = await WorkspaceStorage.OpenDetectionStore(ws.Catalog).GetResultAsync(brokenId, DetectionAssets.Detector.Model.Sha256, None);
        Assert.Equal(DetectionOutcome.Failed, recorded!.Outcome);
        Assert.Equal(failed.Error, recorded.Error);
    }

    [Fact]
    public async Task RunAsync_MissingBlob_IsReportedAndRetriedOnTheNextRun()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg", "zidane.jpg");
        var busId = await IdOf("bus.jpg");
        var saved = await ws.Blobs.ReadAllBytesAsync(busId, None);
        await DeleteBlobAsync(ws, busId);

        var first = await Service(ws).RunAsync(new DetectRequest(), null, None);
        await ws.Blobs.PutAsync(busId, saved, None);
        var second = await Service(ws).RunAsync(new DetectRequest(), null, None);

        Assert.Contains("is not in the blob store", Assert.Single(first.Failed).Error);
        Assert.Equal(DetectionOutcome.One, Assert.Single(second.Images).Outcome);
        Assert.Equal(busId, second.Images[0].ImageId);
    }

    [Fact]
    public async Task RunAsync_CancelledAfterFirstImage_KeepsWhatIsDoneAndTheNextRunFinishes()
    {
        await using var ws = await WorkspaceWithScenesAsync(Scenes);
        using var cts = new CancellationTokenSource();
        var progress = new CancelAt(cts, completed: 1);

        var interrupted = await Service(ws).RunAsync(new DetectRequest(), progress, cts.Token);
        var rest = await Service(ws).RunAsync(new DetectRequest(), null, None);

        Assert.True(interrupted.Interrupted);
        Assert.Equal(1, interrupted.Processed);
        Assert.Equal(3, interrupted.Remaining);
        Assert.Equal((3, 1, false), (rest.Processed, rest.AlreadyProcessed, rest.Interrupted));
        Assert.Equal(4, (await WorkspaceStorage.OpenDetectionStore(ws.Catalog).ListResultsAsync(null, None)).Count);
    }

    [Fact]
    public async Task RunAsync_WithPreviewFolder_WritesOneJpegPerImage()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg", "zidane.jpg");
        var previews = Path.Combine(ws.Scratch.Path, "previews");

        await Service(ws).RunAsync(new DetectRequest { PreviewDirectory = previews }, null, None);

        var files = Directory.GetFiles(previews).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(2, files.Count);
        Assert.StartsWith("bus-", files[0]);
        Assert.StartsWith("zidane-", files[1]);
        using var bus = OrientedDecoder.Decode(File.ReadAllBytes(Path.Combine(previews, files[0]!)));
        Assert.Equal((810, 1080), (bus.Width, bus.Height));
    }

    [Fact]
    public async Task RunAsync_ClassTheModelDoesNotKnow_FailsNamingIt()
    {
        await using var ws = await WorkspaceWithScenesAsync("bus.jpg");

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() =>
            Service(ws, settings: new DetectorSettings { Classes = ["car", "spaceship"] }).RunAsync(new DetectRequest(), null, None));

        Assert.Contains("spaceship", ex.Message);
    }

    /// <summary>Cancels once the given number of images is complete, as a user pressing Ctrl-C would.</summary>
    private sealed class CancelAt(CancellationTokenSource cts, int completed) : IProgress<DetectProgress>
    {
        public void Report(DetectProgress value)
        {
            if (value.Completed >= completed) cts.Cancel();
        }
    }
}

public sealed class DetectServiceTests : DetectServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();

    protected override Task DeleteBlobAsync(TestWorkspace ws, string sha256)
    {
        File.Delete(((Skillmaker.Storage.Files.FileBlobStore)ws.Blobs).PathOf(sha256));
        return Task.CompletedTask;
    }
}

/// <summary>The same detection on the scale-out engines: PostgreSQL catalog and S3 blobs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DetectServiceOnPostgresAndS3Tests(PostgresFixture postgres, S3rverFixture s3) : DetectServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);

    protected override Task DeleteBlobAsync(TestWorkspace ws, string sha256) => s3.DeleteAsync((Skillmaker.Storage.S3.S3BlobStore)ws.Blobs, sha256);
}
