using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Ingest;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Ingest;

/// <summary>Ingest behaviour, run against every storage engine combination.</summary>
public abstract class IngestServiceContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task RunAsync_CarsAndScenes_AddsEveryPhotoOnceWithHints()
    {
        await using var ws = await CreateWorkspaceAsync();
        var ingest = ws.Ingest();

        var cars = await ingest.RunAsync(new IngestRequest { Paths = [TestAssets.Cars], Source = "stanford-cars", LabelsFromFolders = true }, null, None);
        var scenes = await ingest.RunAsync(new IngestRequest { Paths = [TestAssets.Scenes], Source = "scenes" }, null, None);

        Assert.Equal(364, cars.Added);
        Assert.Empty(cars.Rejected);
        Assert.Equal(1, cars.Ignored); // cars/labels.csv
        Assert.Equal(25, scenes.Added);
        Assert.Empty(scenes.Rejected);
        var counts = await ws.Catalog.CountAsync(None);
        Assert.Equal(389, counts.Originals);
        Assert.Equal(389, counts.Occurrences);

        var listed = await ws.Catalog.ListImagesAsync(new ImageQuery { Source = "stanford-cars" }, None);
        Assert.Equal(364, listed.Count);
        var classFolders = Directory.GetDirectories(TestAssets.Cars).Select(Path.GetFileName).ToHashSet();
        Assert.All(listed, i => Assert.Contains(Assert.Single(i.LabelHints), classFolders));
        // No set was given: each photo has a set of its own, marked as generated, and no invented date.
        Assert.All(listed, i => Assert.Equal(Provenance.System, i.SetId!.Provenance));
        Assert.Equal(364, listed.Select(i => i.SetId!.Value).Distinct().Count());
        Assert.All(listed, i => Assert.Null(i.DateTaken));
        // Every catalogued image has its bytes in the store, under their hash.
        foreach (var image in listed.Take(20))
            Assert.Equal(image.Image.Id, Sha256Hex.Of(await ws.Blobs.ReadAllBytesAsync(image.Image.Id, None)));
    }

    [Fact]
    public async Task RunAsync_SameFolderTwice_SecondRunAddsNothing()
    {
        await using var ws = await CreateWorkspaceAsync();
        var request = new IngestRequest { Paths = [TestAssets.Scenes], Source = "scenes" };

        var first = await ws.Ingest().RunAsync(request, null, None);
        var second = await ws.Ingest().RunAsync(request, null, None);

        Assert.Equal(25, first.Added);
        Assert.Equal(0, second.Added);
        Assert.Equal(25, second.Duplicates);
        var counts = await ws.Catalog.CountAsync(None);
        Assert.Equal(25, counts.Originals);
        Assert.Equal(25, counts.Occurrences);
    }

    [Fact]
    public async Task RunAsync_SameBytesFromAnotherSourceAndPath_RecordsOccurrenceNotImage()
    {
        await using var ws = await CreateWorkspaceAsync();
        var copy = ws.Scratch.File("inbox/renamed-bus.jpg");
        File.Copy(TestAssets.Scene("bus.jpg"), copy);

        await ws.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Scene("bus.jpg")], Source = "scenes" }, null, None);
        var again = await ws.Ingest().RunAsync(new IngestRequest { Paths = [copy], Source = "fans" }, null, None);

        Assert.Equal(0, again.Added);
        Assert.Equal(1, again.Duplicates);
        var id = await Sha256Hex.OfFileAsync(copy, None);
        var details = await ws.Catalog.GetImageAsync(id, None);
        Assert.NotNull(details);
        Assert.Equal(["fans", "scenes"], details.Occurrences.Select(o => o.Source).Order());
        Assert.Contains(details.Occurrences, o => o.OriginalFileName == "renamed-bus.jpg" && o.OriginalPath == copy);
    }

    [Fact]
    public async Task RunAsync_ReencodedResizedCopy_LinkedAsNearDuplicate()
    {
        await using var ws = await CreateWorkspaceAsync();
        var photo = TestAssets.CarPhotos()[0];
        var copy = ws.Scratch.File("copies/smaller.jpg");
        await File.WriteAllBytesAsync(copy, TestImages.ReencodedCopy(photo, 0.6, 70));

        await ws.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Cars], Source = "stanford-cars" }, null, None);
        var summary = await ws.Ingest().RunAsync(new IngestRequest { Paths = [copy], Source = "fans" }, null, None);

        Assert.Equal(1, summary.Added);
        Assert.Equal(1, summary.NearDuplicates);
        var originalId = await Sha256Hex.OfFileAsync(photo, None);
        var copyId = await Sha256Hex.OfFileAsync(copy, None);
        var pair = Assert.Single(summary.NearDuplicatePairs, p => p.OtherImageId == originalId);
        Assert.Equal(copyId, pair.ImageId);
        Assert.InRange(pair.Distance, 0, 6);
        var a = await ws.Catalog.GetImageAsync(originalId, None);
        var b = await ws.Catalog.GetImageAsync(copyId, None);
        Assert.NotNull(a?.NearDuplicateClusterId);
        Assert.Equal(a.NearDuplicateClusterId, b!.NearDuplicateClusterId);
        Assert.Contains(b.NearDuplicates, n => n.OtherImageId == originalId);
    }

    [Fact]
    public async Task RunAsync_PhotoWithExif_DateTakenFromExif()
    {
        await using var ws = await CreateWorkspaceAsync();

        await ws.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Scene("bus.jpg")], Source = "scenes" }, null, None);

        var details = await ws.Catalog.GetImageAsync(await Sha256Hex.OfFileAsync(TestAssets.Scene("bus.jpg"), None), None);
        var date = details!.Effective(Fields.DateTaken);
        Assert.NotNull(date);
        Assert.Equal("2019-03-01T13:06:33", date.Value);
        Assert.Equal(Provenance.Exif, date.Provenance);
    }

    [Fact]
    public async Task RunAsync_ExifOrientationAndOffset_SizeAsShownAndDateWithOffset()
    {
        await using var ws = await CreateWorkspaceAsync();
        var photo = TestAssets.CarPhotos()[5];
        var rotated = ws.Scratch.File("phone/rotated.jpg");
        await File.WriteAllBytesAsync(rotated, ExifJpeg.WithExif(await File.ReadAllBytesAsync(photo), orientation: 6, dateTimeOriginal: "2024:05:01 13:45:00", offsetTimeOriginal: "+02:00"));
        using var stored = SkiaSharp.SKBitmap.Decode(photo);

        await ws.Ingest().RunAsync(new IngestRequest { Paths = [rotated], Source = "phones" }, null, None);

        var details = await ws.Catalog.GetImageAsync(await Sha256Hex.OfFileAsync(rotated, None), None);
        Assert.Equal(6, details!.Image.ExifOrientation);
        Assert.Equal(stored.Height, details.Image.Width);
        Assert.Equal(stored.Width, details.Image.Height);
        Assert.Equal("2024-05-01T13:45:00+02:00", details.Effective(Fields.DateTaken)!.Value);
    }

    [Fact]
    public async Task RunAsync_BadFiles_EachRejectedWithReasonAndRestIngested()
    {
        await using var ws = await CreateWorkspaceAsync();
        var inbox = ws.Scratch.File("inbox/x");
        var dir = Path.GetDirectoryName(inbox)!;
        var good = Path.Combine(dir, "good.jpg");
        File.Copy(TestAssets.CarPhotos()[0], good);
        await File.WriteAllBytesAsync(Path.Combine(dir, "empty.jpg"), []);
        var full = await File.ReadAllBytesAsync(TestAssets.Scene("bus.jpg"));
        await File.WriteAllBytesAsync(Path.Combine(dir, "truncated.jpg"), full[..(full.Length / 2)]);
        await File.WriteAllTextAsync(Path.Combine(dir, "text.jpg"), "<html><body>404 not found</body></html>");
        await File.WriteAllBytesAsync(Path.Combine(dir, "photo.avif"), [0, 0, 0, 0x1C, .. "ftypavif"u8.ToArray(), 0, 0, 0, 0, .. "avifmif1miaf"u8.ToArray(), .. new byte[64]]);
        await File.WriteAllBytesAsync(Path.Combine(dir, "bomb.png"), PngBomb.Create(30000, 30000));
        File.CreateSymbolicLink(Path.Combine(dir, "dangling.jpg"), Path.Combine(dir, "gone.jpg"));

        var summary = await ws.Ingest().RunAsync(new IngestRequest { Paths = [dir, Path.Combine(dir, "missing.jpg")], Source = "inbox" }, null, None);

        Assert.Equal(1, summary.Added);
        string Reason(string file) => Assert.Single(summary.Rejected, r => r.Path == Path.Combine(dir, file)).Reason;
        Assert.Contains("empty file", Reason("empty.jpg"));
        Assert.Contains("truncated", Reason("truncated.jpg"));
        Assert.Contains("not an image", Reason("text.jpg"));
        Assert.DoesNotContain("<html>", Reason("text.jpg")); // the content is never quoted (issue 22)
        Assert.Contains("holds text", Reason("text.jpg"));
        Assert.Contains("unsupported format AVIF", Reason("photo.avif"));
        Assert.Contains("30000x30000", Reason("bomb.png"));
        Assert.Contains("64 MP", Reason("bomb.png"));
        Assert.Contains("link whose target does not exist", Reason("dangling.jpg"));
        Assert.Contains("does not exist", Reason("missing.jpg"));
        Assert.Equal(7, summary.Rejected.Count);
        // Nothing of the rejected files reached the catalog or the store.
        Assert.Equal(1, (await ws.Catalog.CountAsync(None)).Originals);
        foreach (var file in Directory.EnumerateFiles(dir))
            if (new FileInfo(file).Exists && File.ResolveLinkTarget(file, true) is null && file != good)
                Assert.False(await ws.Blobs.ExistsAsync(Sha256Hex.Of(await File.ReadAllBytesAsync(file)), None));
        // The run and its rejections are on record.
        var run = Assert.Single(await ws.Catalog.ListIngestRunsAsync(None));
        Assert.Equal(IngestRunStatus.Completed, run.Status);
        Assert.Equal(7, run.Rejected.Count);
    }

    [Fact]
    public async Task RunAsync_UnreadableFile_RejectedAsUnreadable()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows())
        {
            // Root reads any file, so permissions cannot make one unreadable; a folder named like a
            // file is unreadable as a file for everyone.
            await using var ws0 = await CreateWorkspaceAsync();
            var fakeFile = ws0.Scratch.File("inbox/folder.jpg/inner.txt");
            await File.WriteAllTextAsync(fakeFile, "x");
            var summary0 = await ws0.Ingest().RunAsync(new IngestRequest { Paths = [Path.GetDirectoryName(fakeFile)!], Source = "inbox" }, null, None);
            Assert.Equal(1, summary0.Ignored);
            Assert.Equal(0, summary0.Added);
            return;
        }
        await using var ws = await CreateWorkspaceAsync();
        var locked = ws.Scratch.File("inbox/locked.jpg");
        File.Copy(TestAssets.CarPhotos()[0], locked);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var summary = await ws.Ingest().RunAsync(new IngestRequest { Paths = [locked], Source = "inbox" }, null, None);
        Assert.Contains("unreadable", Assert.Single(summary.Rejected).Reason);
    }

    [Fact]
    public async Task RunAsync_Manifest_GivenFieldsStoredWithSourceProvenance()
    {
        await using var ws = await CreateWorkspaceAsync();
        var photos = TestAssets.CarPhotos();
        var manifest = ws.Scratch.File("feed/manifest.csv");
        File.Copy(photos[0], ws.Scratch.File("feed/img/a.jpg"));
        File.Copy(photos[1], ws.Scratch.File("feed/img/b.jpg"));
        await File.WriteAllTextAsync(manifest,
            "path,set_id,label,date_taken,source,notes\n" +
            "img/a.jpg,advert-17,\"BMW M3, coupe\",2023-06-02,dealer,x\n" +
            "img/b.jpg,advert-17,,2023-06-02T10:15:00,,y\n" +
            "img/missing.jpg,advert-18,,,,z\n" +
            "img/a.jpg,advert-19,,not-a-date,,w\n");

        var summary = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "feed" }, null, None);

        Assert.Equal(2, summary.Added);
        Assert.Equal(2, summary.Rejected.Count);
        Assert.Contains(summary.Rejected, r => r.Path.EndsWith("missing.jpg", StringComparison.Ordinal) && r.Reason.Contains("does not exist") && r.Reason.Contains("manifest.csv:4"));
        Assert.Contains(summary.Rejected, r => r.Reason.Contains("'not-a-date' is not a date"));
        Assert.Contains(summary.Warnings, w => w.Contains("notes"));

        var a = await ws.Catalog.GetImageAsync(await Sha256Hex.OfFileAsync(photos[0], None), None);
        Assert.Equal("advert-17", a!.Effective(Fields.SetId)!.Value);
        Assert.Equal(Provenance.Source, a.Effective(Fields.SetId)!.Provenance);
        Assert.Equal("2023-06-02", a.Effective(Fields.DateTaken)!.Value);
        var hint = Assert.Single(a.Labels);
        Assert.Equal(("BMW M3, coupe", LabelStatus.Hint, Provenance.Source), (hint.Label, hint.Status, hint.Provenance));
        Assert.Equal("dealer", Assert.Single(a.Occurrences).Source);
        var b = await ws.Catalog.GetImageAsync(await Sha256Hex.OfFileAsync(photos[1], None), None);
        Assert.Equal("advert-17", b!.Effective(Fields.SetId)!.Value);
        Assert.Equal("2023-06-02T10:15:00", b.Effective(Fields.DateTaken)!.Value);
        Assert.Equal("feed", Assert.Single(b.Occurrences).Source);
        Assert.Empty(b.Labels);
    }

    [Fact]
    public async Task RunAsync_ManifestWithoutPathColumn_RejectedWholeAndOthersGoOn()
    {
        await using var ws = await CreateWorkspaceAsync();
        var manifest = ws.Scratch.File("bad.csv");
        await File.WriteAllTextAsync(manifest, "file,label\na.jpg,x\n");

        var summary = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Paths = [TestAssets.Scene("bus.jpg")], Source = "feed" }, null, None);

        Assert.Equal(1, summary.Added);
        var rejection = Assert.Single(summary.Rejected);
        Assert.Equal(manifest, rejection.Path);
        Assert.Contains("no 'path' column", rejection.Reason);
        Assert.Contains("found: file, label", rejection.Reason);
    }

    [Fact]
    public async Task RunAsync_ManifestWithUnclosedQuote_RejectedWholeNamingTheLine()
    {
        await using var ws = await CreateWorkspaceAsync();
        var manifest = ws.Scratch.File("feed/manifest.csv");
        File.Copy(TestAssets.CarPhotos()[0], ws.Scratch.File("feed/a.jpg"));
        await File.WriteAllTextAsync(manifest, "path,label\na.jpg,x\n\"a.jpg,y\n");

        var summary = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "feed" }, null, None);

        Assert.Equal(0, summary.Added);
        var rejection = Assert.Single(summary.Rejected);
        Assert.Equal(manifest, rejection.Path);
        Assert.Contains("manifest cannot be read as CSV", rejection.Reason);
        Assert.Contains("line 3: a quoted field is never closed", rejection.Reason);
    }

    [Fact]
    public async Task RunAsync_SetsFromFolders_OneSetPerFolder()
    {
        await using var ws = await CreateWorkspaceAsync();

        await ws.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Cars], Source = "cars", SetsFromFolders = true }, null, None);

        var listed = await ws.Catalog.ListImagesAsync(new ImageQuery(), None);
        var sets = listed.GroupBy(i => i.SetId!.Value).ToList();
        Assert.Equal(13, sets.Count);
        Assert.All(sets, s => Assert.Equal(28, s.Count()));
        Assert.All(listed, i => Assert.Equal(Provenance.Source, i.SetId!.Provenance));
    }

    [Fact]
    public async Task RunAsync_CancelledHalfway_CatalogConsistentAndRerunCompletes()
    {
        await using var ws = await CreateWorkspaceAsync();
        using var cts = new CancellationTokenSource();
        var request = new IngestRequest { Paths = [TestAssets.Cars], Source = "cars", LabelsFromFolders = true };
        var progress = new CancelAfter(100, cts);

        var interrupted = await ws.Ingest().RunAsync(request, progress, cts.Token);

        Assert.True(interrupted.Interrupted);
        Assert.InRange(interrupted.Added, 100, 363);
        var partial = await ws.Catalog.ListImagesAsync(new ImageQuery(), None);
        Assert.Equal(interrupted.Added, partial.Count);
        foreach (var image in partial)
        {
            Assert.True(await ws.Blobs.ExistsAsync(image.Image.Id, None));
            Assert.Single(image.LabelHints);
        }
        Assert.Equal(IngestRunStatus.Interrupted, (await ws.Catalog.ListIngestRunsAsync(None)).Single().Status);

        var rerun = await ws.Ingest().RunAsync(request, null, None);

        Assert.False(rerun.Interrupted);
        Assert.Equal(364 - interrupted.Added, rerun.Added);
        Assert.Equal(interrupted.Added, rerun.Duplicates);
        Assert.Equal(364, (await ws.Catalog.CountAsync(None)).Originals);
    }

    [Fact]
    public async Task RunAsync_InvalidSourceName_ThrowsNamingTheRule()
    {
        await using var ws = await CreateWorkspaceAsync();
        var ex = await Assert.ThrowsAsync<InvalidSettingException>(() => ws.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Scenes], Source = "my source!" }, null, None));
        Assert.Equal("source", Assert.Single(ex.Errors).Field);
        Assert.Contains("'my source!' is not a valid source name", ex.Message);
    }

    private sealed class CancelAfter(int count, CancellationTokenSource cts) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value)
        {
            if (value.Completed >= count) cts.Cancel();
        }
    }
}

public sealed class IngestServiceTests : IngestServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same ingest behaviour with blobs in S3 (s3rver on loopback).</summary>
public sealed class IngestServiceOnS3Tests(S3rverFixture s3) : IngestServiceContract, IClassFixture<S3rverFixture>
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(blobs: s3.Store($"ws{Guid.NewGuid():N}"));
}

/// <summary>The same ingest behaviour on the scale-out engines: PostgreSQL catalog and S3 blobs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class IngestServiceOnPostgresAndS3Tests(PostgresFixture postgres, S3rverFixture s3) : IngestServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);
}
