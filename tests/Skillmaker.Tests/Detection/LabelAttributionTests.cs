using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Catalog;
using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Detection;

/// <summary>A photo's label goes to its subject only: the real detector on real car photos, some of which
/// show other cars behind the labelled one, on every storage engine.</summary>
public abstract class LabelAttributionContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Shared car photos (relative to cars/) in which the detector finds more than one vehicle.</summary>
    internal static readonly string[] WithBackgroundCars = [
        "chevrolet_silverado_1500_regular_cab_2012/03695.jpg", "chevrolet_silverado_1500_regular_cab_2012/04638.jpg",
        "hyundai_sonata_sedan_2012/00911.jpg", "ford_f_150_regular_cab_2007/00824.jpg",
    ];

    /// <summary>Shared car photos with a single vehicle, from other classes, so a dataset has several classes.</summary>
    internal static readonly string[] SingleCar = [
        "bmw_m3_coupe_2012/03865.jpg", "bmw_m3_coupe_2012/02287.jpg", "tesla_model_s_sedan_2012/02642.jpg", "tesla_model_s_sedan_2012/05327.jpg",
    ];

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static async Task<TestWorkspace> DetectedAsync(TestWorkspace ws)
    {
        var photos = WithBackgroundCars.Concat(SingleCar).Select(f => Path.Combine(TestAssets.Cars, f)).ToList();
        var manifest = ws.Scratch.File($"feeds/{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(manifest, ["path,label", .. photos.Select(p => $"{p},{Path.GetFileName(Path.GetDirectoryName(p))}")]);
        var ingested = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "stanford", ManifestRoots = [TestAssets.Dir] }, null, None);
        Assert.Empty(ingested.Rejected);
        var detect = new DetectService(WorkspaceStorage.OpenDetectionStore(ws.Catalog), ws.Blobs, DetectionAssets.Detector, new DetectorSettings(), TimeProvider.System, NullLogger<DetectService>.Instance);
        await detect.RunAsync(new DetectRequest(), null, None);
        return ws;
    }

    private static DatasetService Datasets(TestWorkspace ws, SubjectSettings? subject = null) =>
        new(WorkspaceStorage.DatasetStore(ws.Catalog), ws.Workspace.Config.Seed, Path.Combine(ws.Workspace.StateDirectory, "manifests"), TimeProvider.System,
            NullLogger<DatasetService>.Instance, Attribution(ws, subject));

    private static AttributionService Attribution(TestWorkspace ws, SubjectSettings? subject = null) =>
        new(WorkspaceStorage.OpenDetectionStore(ws.Catalog), subject ?? new SubjectSettings(), TimeProvider.System, NullLogger<AttributionService>.Instance);

    private static DatasetDefinition Crops(BackgroundCrops policy = BackgroundCrops.Crowd, double testFraction = 0.3) => new()
    {
        Name = "crops", ImageKind = ImageKind.Crop, ClassesFromLabels = true, AllowLabelHints = true, TestFraction = testFraction, BackgroundCrops = policy,
        Balance = new BalancePolicy { MinPerClass = 1 },
    };

    [Fact]
    public async Task Detect_RealPhotosWithBackgroundCars_OnlyTheSubjectCarriesThePhotoLabel()
    {
        await using var ws = await DetectedAsync(await CreateWorkspaceAsync());
        var store = WorkspaceStorage.OpenDetectionStore(ws.Catalog);

        var candidates = await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, None);

        var background = candidates.Where(c => c.PhotoSubject == false).ToList();
        Assert.NotEmpty(background);
        Assert.All(background, c => Assert.Empty(c.LabelHints));
        Assert.All(background, c => Assert.Single(c.PhotoLabelHints));
        foreach (var photo in candidates.GroupBy(c => c.ParentId))
        {
            Assert.All(photo, c => Assert.NotNull(c.PhotoSubject));
            var subjects = photo.Where(c => c.PhotoSubject == true).ToList();
            Assert.True(subjects.Count <= 1, $"photo {photo.Key} has {subjects.Count} subjects");
            Assert.All(subjects, s => Assert.Equal(s.PhotoLabelHints, s.LabelHints));
        }
        // Every photo of a single car has its crop as the subject.
        var singleIds = new HashSet<string>(await Task.WhenAll(SingleCar.Select(f => Common.Sha256Hex.OfFileAsync(Path.Combine(TestAssets.Cars, f), None))));
        Assert.All(candidates.Where(c => singleIds.Contains(c.ParentId!)), c => Assert.True(c.PhotoSubject));
        var recorded = (await store.GetAttributionAsync(background[0].ImageId, None))!;
        Assert.Equal((CropAttribution.SubjectRuleName, false, background[0].ParentId), (recorded.Rule, recorded.Subject, recorded.ParentId));
        Assert.Contains("\"dominance\":2", recorded.SettingsJson);
    }

    [Fact]
    public async Task Extract_BackgroundCrops_NeverCarryThePhotoLabelAndFollowThePolicy()
    {
        await using var ws = await DetectedAsync(await CreateWorkspaceAsync());
        var candidates = await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, None);
        var background = candidates.Where(c => c.PhotoSubject == false).Select(c => c.ImageId).ToHashSet();

        var crowd = await Datasets(ws).ExtractAsync(Crops(), null, None);
        var leaveOut = await Datasets(ws).ExtractAsync(Crops(BackgroundCrops.LeaveOut) with { Name = "crops-subjects" }, null, None);

        Assert.DoesNotContain(crowd.Manifest.Items, i => background.Contains(i.ImageId));
        Assert.Equal(background.Count, crowd.BackgroundCropsAwaitingLabel);
        Assert.Equal(background.Count, crowd.Manifest.Excluded["not its photo's subject; waits for a crowd or reviewer label"]);
        Assert.Equal(background.Count, leaveOut.Manifest.Excluded["not its photo's subject (backgroundCrops: leaveOut)"]);
        Assert.Equal(candidates.Count(c => c.PhotoSubject == true), crowd.Manifest.Items.Count);
    }

    [Fact]
    public async Task Attribute_SettingsChangedOnAnExistingWorkspace_DecisionsChangeAndTestStaysTest()
    {
        await using var ws = await DetectedAsync(await CreateWorkspaceAsync());
        var before = (await Datasets(ws).ExtractAsync(Crops(testFraction: 0.5), null, None)).Manifest;
        // Now no photo with several vehicles has a clear subject: their crops lose the photo's label.
        var strict = new SubjectSettings { Dominance = 1e9 };

        var changed = await Attribution(ws, strict).RunAsync(onlyMissing: false, None);
        var again = await Attribution(ws, strict).RunAsync(onlyMissing: false, None);
        var after = (await Datasets(ws, strict).ExtractAsync(Crops(testFraction: 0.5), null, None)).Manifest;

        Assert.Equal(WithBackgroundCars.Length, changed.AmbiguousPhotos);
        Assert.True(changed.Changed >= WithBackgroundCars.Length);
        Assert.Equal(0, again.Changed);
        Assert.Equal(SingleCar.Length, after.Items.Count);
        var testBefore = before.Items.Where(i => i.Split == Split.Test).Select(i => i.ImageId).ToHashSet();
        Assert.NotEmpty(testBefore);
        Assert.All(after.Items.Where(i => testBefore.Contains(i.ImageId)), i => Assert.Equal(Split.Test, i.Split));
        Assert.True((await Datasets(ws).AuditSplitsAsync(None)).Passed);
    }

    [Fact]
    public async Task Extract_CropsCutBeforeAttributionExisted_AttributedFirst()
    {
        await using var ws = await DetectedAsync(await CreateWorkspaceAsync());
        var expected = (await Datasets(ws).ExtractAsync(Crops(), null, None)).Manifest;
        await using (var connection = await ((SqlCatalog)ws.Catalog).OpenAsync(None))
        {
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM crop_attributions";
            Assert.True(await delete.ExecuteNonQueryAsync(None) > WithBackgroundCars.Length);
        }

        var result = await Datasets(ws).ExtractAsync(Crops(), null, None);

        Assert.Equal(expected.Id, result.Manifest.Id);
        Assert.Equal(WithBackgroundCars.Length, (await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, None)).Where(c => c.PhotoSubject == true).Select(c => c.ParentId).Intersect(
            await Task.WhenAll(WithBackgroundCars.Select(f => Common.Sha256Hex.OfFileAsync(Path.Combine(TestAssets.Cars, f), None)))).Count());
    }
}

public sealed class LabelAttributionTests : LabelAttributionContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class LabelAttributionOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : LabelAttributionContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.OnPostgresAsync(postgres, s3);
}
