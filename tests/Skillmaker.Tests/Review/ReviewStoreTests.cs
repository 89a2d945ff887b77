using Microsoft.Extensions.Time.Testing;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Review;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Review;

/// <summary>Expert review decisions and undo, run against every catalog engine.</summary>
public abstract class ReviewStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task ConfirmThenUndo_DecisionGoesAndComesBackAsTheEarlierOne()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 2, perClass: 2);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z"));
        var review = new ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), time);

        var groups = await review.GroupsAsync(None);
        Assert.Equal(crops.Select(c => c.Label).Distinct().Order(), groups.Select(g => g.Name));
        Assert.All(groups, g => Assert.Equal((2, 2), (g.Total, g.Undecided)));

        var first = await review.ConfirmAsync([crops[0].CropId, crops[1].CropId], "bmw m3", "ana", None);
        time.Advance(TimeSpan.FromMinutes(1));
        var relabel = await review.ConfirmAsync([crops[0].CropId], "bmw 3 series", "ana", None);

        var decided = (await review.ItemsAsync(new ReviewQuery { IncludeDecided = true, Limit = 500 }, None)).ToDictionary(i => i.CropId);
        Assert.Equal("bmw 3 series", decided[crops[0].CropId].Decision!.Label);
        Assert.Equal("bmw m3", decided[crops[1].CropId].Decision!.Label);
        Assert.Equal(2, (await review.ItemsAsync(new ReviewQuery(), None)).Count);

        Assert.Equal(1, await review.UndoAsync(relabel.BatchId, "ana", false, None));
        Assert.Equal(0, await review.UndoAsync(relabel.BatchId, "ana", false, None));
        var after = (await review.ItemsAsync(new ReviewQuery { IncludeDecided = true, Limit = 500 }, None)).ToDictionary(i => i.CropId);
        Assert.Equal("bmw m3", after[crops[0].CropId].Decision!.Label);

        var recent = await review.RecentAsync("ana", None);
        Assert.Equal([relabel.BatchId, first.BatchId], recent.Select(b => b.BatchId));
        Assert.Equal((true, false), (recent[0].Undone, recent[1].Undone));
        Assert.Contains("bmw m3", await review.KnownLabelsAsync(None));
    }

    /// <summary>Issue 20: relabel accepted a typo ("bwm_m3_cupe") as a new class.</summary>
    [Fact]
    public async Task Relabel_UnknownClass_RefusedWithTheClosestUnlessConfirmedAsNew()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 2, perClass: 1);
        var review = new ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z")));
        var known = crops[1].Label;
        var typo = known[..^1] + "x";

        var ex = await Assert.ThrowsAsync<Common.SkillmakerException>(() => review.RelabelAsync([crops[0].CropId], typo, newClass: false, "ana", None));
        Assert.Contains($"'{typo}' is not a known class; did you mean '{known}'?", ex.Message);
        Assert.Null((await review.ItemsAsync(new ReviewQuery { IncludeDecided = true, Limit = 50 }, None)).Single(i => i.CropId == crops[0].CropId).Decision);

        Assert.Equal(1, (await review.RelabelAsync([crops[0].CropId], known, newClass: false, "ana", None)).Crops);
        Assert.Equal(1, (await review.RelabelAsync([crops[0].CropId], "brand new class", newClass: true, "ana", None)).Crops);
        Assert.Equal("brand new class", (await review.ItemsAsync(new ReviewQuery { IncludeDecided = true, Limit = 50 }, None)).Single(i => i.CropId == crops[0].CropId).Decision!.Label);
    }

    [Fact]
    public async Task Confirm_SameSecondTwice_RecentListsTheLaterFirst()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 2);
        var review = new ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z")));

        var a = await review.ConfirmAsync([crops[0].CropId], "x", "ana", None);
        var b = await review.RejectAsync([crops[1].CropId], "ana", None);

        Assert.Equal([b.BatchId, a.BatchId], (await review.RecentAsync("ana", None)).Select(r => r.BatchId));
    }

    [Fact]
    public async Task Confirm_OriginalPhotoInsteadOfCrop_RefusesAndRecordsNothing()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var review = new ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), TimeProvider.System);

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => review.ConfirmAsync([crops[0].CropId, crops[0].ParentId], "x", "ana", None));

        Assert.Contains("not crops", ex.Message);
        Assert.Empty(await review.RecentAsync("ana", None));
        Assert.Null((await ws.Catalog.GetImageAsync(crops[0].CropId, None))!.Labels.FirstOrDefault(l => l.Status != LabelStatus.Hint));
    }
}

public sealed class ReviewStoreTests : ReviewStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same review store on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReviewStoreOnPostgresTests(PostgresFixture postgres) : ReviewStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
}
