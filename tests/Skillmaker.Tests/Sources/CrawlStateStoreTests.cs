using Skillmaker.Imaging;
using Skillmaker.Sources;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

/// <summary>The crawl state's behaviour, on every catalog engine.</summary>
public abstract class CrawlStateStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static CrawlRunRecord Run(string id) => new() { RunId = id, Source = "dealer", Start = "https://cars.example/", Options = "{}", StartedAt = DateTimeOffset.UnixEpoch };

    private static CrawlUrl Page(string path, int depth = 0) => new() { Url = "https://cars.example" + path, Kind = CrawlUrlKind.Page, Depth = depth };

    [Fact]
    public async Task CompleteAsync_PageWithLinks_LinksPendingInDiscoveryOrderOnce()
    {
        await using var ws = await CreateWorkspaceAsync();
        var store = WorkspaceStorage.OpenCrawlStateStore(ws.Catalog);
        await store.StartRunAsync(Run("r1"), false, None);
        await store.AddAsync("dealer", [Page("/")], None);

        await store.CompleteAsync("dealer", Page("/") with { Status = CrawlUrlStatus.Done }, "r1",
            [Page("/b", 1), Page("/a", 1), Page("/", 1), Page("/b", 1)], None);
        var image = new CrawlUrl { Url = "https://cdn.example/1.jpg", Kind = CrawlUrlKind.Image, FoundOn = "https://cars.example/b", SetId = "dealer:b", Label = "Audi", LabelRule = "css:h1" };
        await store.CompleteAsync("dealer", Page("/b", 1) with { Status = CrawlUrlStatus.Done }, "r1", [image], None);

        var pending = await store.PendingAsync("dealer", CrawlUrlKind.Page, null, 10, None);
        Assert.Equal(["https://cars.example/a"], pending.Select(p => p.Url));
        var images = await store.PendingAsync("dealer", CrawlUrlKind.Image, "https://cars.example/b", 10, None);
        Assert.Equal(image with { Seq = images[0].Seq }, Assert.Single(images));
        Assert.Empty(await store.PendingAsync("other-source", CrawlUrlKind.Page, null, 10, None));
        var counts = await store.CountAsync("dealer", None);
        Assert.Equal((1, 2, 1), (counts.PagesPending, counts.PagesDone, counts.ImagesPending));
    }

    [Fact]
    public async Task StartRunAsync_FailedAndRefresh_FailedRetriedAndRefreshRevisitsPagesOnly()
    {
        await using var ws = await CreateWorkspaceAsync();
        var store = WorkspaceStorage.OpenCrawlStateStore(ws.Catalog);
        await store.StartRunAsync(Run("r1"), false, None);
        await store.AddAsync("dealer", [Page("/"), Page("/slow"), Page("/gone")], None);
        await store.CompleteAsync("dealer", Page("/") with { Status = CrawlUrlStatus.Done }, "r1", [], None);
        await store.CompleteAsync("dealer", Page("/slow") with { Status = CrawlUrlStatus.Failed, Reason = "timeout", Code = nameof(RejectCode.Timeout) }, "r1", [], None);
        await store.CompleteAsync("dealer", Page("/gone") with { Status = CrawlUrlStatus.Skipped, Reason = "HTTP 404", Code = nameof(RejectCode.NotFound) }, "r1", [], None);
        await store.CompleteAsync("dealer", new CrawlUrl { Url = "https://cars.example/1.jpg", Kind = CrawlUrlKind.Image, Status = CrawlUrlStatus.Skipped }, "r1", [], None);

        var second = await store.StartRunAsync(Run("r2"), false, None);
        var third = await store.StartRunAsync(Run("r3"), true, None);

        Assert.Equal((1, 1, 1, 0), (second.PagesPending, second.PagesDone, second.PagesSkipped, second.PagesFailed));
        Assert.Equal((3, 0, 0), (third.PagesPending, third.PagesDone, third.PagesSkipped));
        Assert.Equal(1, third.ImagesSkipped);
        var known = await store.GetAsync("dealer", CrawlUrlKind.Page, ["https://cars.example/gone", "https://cars.example/unknown"], None);
        Assert.Equal("HTTP 404", Assert.Single(known).Value.Reason);
    }
}

public sealed class CrawlStateStoreTests : CrawlStateStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class CrawlStateStoreOnPostgresTests(PostgresFixture postgres) : CrawlStateStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
}
