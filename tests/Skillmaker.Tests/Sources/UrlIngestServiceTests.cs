using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Sources;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

/// <summary><c>ingest --urls</c> against the loopback test site with real photos.</summary>
public sealed class UrlIngestServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RunAsync_CsvListWithGoodAndBadUrls_AddsPhotosWithFieldsAndRejectsTheRestWithReasons()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var list = ws.Scratch.File("urls.csv");
        await File.WriteAllTextAsync(list, $"""
            url,set_id,label,date_taken
            {site.Url("/img/1-0.jpg")},advert-17,Audi S4 Sedan 2012,2024-05-01
            {site.Url("/img/1-1.jpg")},advert-17,Audi S4 Sedan 2012,
            {site.Url("/img/gone.jpg")},,,
            {site.Url("/img/broken.jpg")},,,
            {site.Url("/img/huge.jpg")},,,
            {site.Url("/loop/a")},,,
            ftp://files.example/x.jpg,,,
            """);

        var summary = await SourcesTesting.Downloader(ws).RunAsync(new UrlIngestRequest { UrlLists = [list], Source = "dealer-feed", AllowPrivate = true }, null, None);

        Assert.Equal(2, summary.Ingest.Added);
        var id = await Sha256Hex.OfFileAsync(TestSite.Listings[0].Photos[0], None);
        var details = (await ws.Catalog.GetImageAsync(id, None))!;
        var occurrence = Assert.Single(details.Occurrences);
        Assert.Equal(site.Url("/img/1-0.jpg").AbsoluteUri, occurrence.OriginalPath);
        Assert.Equal("1-0.jpg", occurrence.OriginalFileName);
        Assert.Equal("advert-17", details.Effective(Fields.SetId)!.Value);
        Assert.Equal($"urls:{list}", details.Effective(Fields.SetId)!.Actor);
        Assert.Equal("2024-05-01", details.Effective(Fields.DateTaken)!.Value);
        Assert.Equal("Audi S4 Sedan 2012", Assert.Single(details.Labels).Label);

        var rejected = summary.Ingest.Rejected.ToDictionary(r => r.Path.StartsWith(list, StringComparison.Ordinal) ? "ftp" : new Uri(r.Path).PathAndQuery);
        Assert.Equal(RejectCode.NotFound, rejected["/img/gone.jpg"].Code);
        Assert.Equal(RejectCode.NotAnImage, rejected["/img/broken.jpg"].Code);
        Assert.Equal(RejectCode.TooLarge, rejected["/img/huge.jpg"].Code);
        Assert.Equal(RejectCode.RedirectLoop, rejected["/loop/a"].Code);
        Assert.Equal(RejectCode.BadManifestRow, rejected["ftp"].Code);
        Assert.Contains("'ftp://files.example/x.jpg' is not an http(s) URL", rejected["ftp"].Reason);
        Assert.Equal($"{list}:8", rejected["ftp"].Path);
    }

    [Fact]
    public async Task RunAsync_LoopbackWithoutAllowPrivate_BlockedBeforeConnectingThenTakenWhenAllowed()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var list = ws.Scratch.File("urls.txt");
        await File.WriteAllTextAsync(list, $"# photos\n{site.Url("/img/1-0.jpg")}\n\n{new Uri(site.OtherHostRoot, "/img/1-1.jpg")}\n");
        var downloader = SourcesTesting.Downloader(ws);

        var blocked = await downloader.RunAsync(new UrlIngestRequest { UrlLists = [list], Source = "feed" }, null, None);
        var allowed = await downloader.RunAsync(new UrlIngestRequest { UrlLists = [list], Source = "feed", AllowPrivate = true }, null, None);

        Assert.Equal(0, blocked.Ingest.Added);
        Assert.All(blocked.Ingest.Rejected, r => Assert.Equal(RejectCode.Blocked, r.Code));
        Assert.Contains(blocked.Ingest.Rejected, r => r.Reason.StartsWith($"127.0.0.1 is a loopback address", StringComparison.Ordinal));
        Assert.Contains(blocked.Ingest.Rejected, r => r.Reason.StartsWith("localhost resolves to", StringComparison.Ordinal));
        Assert.Equal(2, allowed.Ingest.Added);
        // The blocked run never reached the server.
        Assert.Equal(2, site.Requests.Count);
    }

    [Fact]
    public async Task RunAsync_SecondRun_DownloadsNothingAgain()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var list = ws.Scratch.File("urls.txt");
        await File.WriteAllTextAsync(list, $"{site.Url("/img/2-0.jpg")}\n{site.Url("/img/2-1.jpg")}\n{site.Url("/img/2-0.jpg")}\n{site.Url("/img/gone.jpg")}\n");
        var request = new UrlIngestRequest { UrlLists = [list], Source = "feed", AllowPrivate = true };

        var first = await SourcesTesting.Downloader(ws).RunAsync(request, null, None);
        var requests = site.Requests.Count;
        var second = await SourcesTesting.Downloader(ws).RunAsync(request, null, None);
        var refreshed = await SourcesTesting.Downloader(ws).RunAsync(request with { Refresh = true }, null, None);

        Assert.Equal(2, first.Ingest.Added);
        Assert.Equal(1, first.Repeated);
        Assert.Equal(3, second.AlreadyDone); // two taken, the 404 refused for good
        Assert.Empty(second.Ingest.Rejected);
        Assert.Equal(requests, site.Requests.Count - 3); // only the refresh downloaded again
        Assert.Equal(2, refreshed.Ingest.Duplicates);
    }

    [Fact]
    public async Task RunAsync_ServiceUnavailableOnce_RetriedAndAdded()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var list = ws.Scratch.File("urls.txt");
        await File.WriteAllTextAsync(list, $"{site.Url("/img/flaky.jpg")}\n");

        var summary = await SourcesTesting.Downloader(ws).RunAsync(new UrlIngestRequest { UrlLists = [list], Source = "feed", AllowPrivate = true }, null, None);

        Assert.Equal(1, summary.Ingest.Added);
        Assert.Equal(2, site.Hits("/img/flaky.jpg"));
    }

    [Fact]
    public async Task RunAsync_AllowListAndRedirectToOtherHost_RedirectRefused()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var list = ws.Scratch.File("urls.txt");
        await File.WriteAllTextAsync(list, $"{site.Url("/redirect-to-other-host")}\n{site.Url("/img/3-0.jpg")}\n");

        var summary = await SourcesTesting.Downloader(ws).RunAsync(
            new UrlIngestRequest { UrlLists = [list], Source = "feed", AllowPrivate = true, Allow = ["127.0.0.1"] }, null, None);

        Assert.Equal(1, summary.Ingest.Added);
        var refused = Assert.Single(summary.Ingest.Rejected);
        Assert.Equal(RejectCode.Blocked, refused.Code);
        Assert.StartsWith($"redirected to {site.OtherHostRoot}img/1-0.jpg: host localhost is not allowed", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, site.Hits("/img/1-0.jpg"));
    }

    [Fact]
    public async Task RunAsync_MissingList_RejectedNotThrown()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var missing = Path.Combine(ws.Scratch.Path, "nope.txt");

        var summary = await SourcesTesting.Downloader(ws).RunAsync(new UrlIngestRequest { UrlLists = [missing], Source = "feed" }, null, None);

        var rejected = Assert.Single(summary.Ingest.Rejected);
        Assert.Equal(missing, rejected.Path);
        Assert.Equal(RejectCode.NotFound, rejected.Code);
    }
}
