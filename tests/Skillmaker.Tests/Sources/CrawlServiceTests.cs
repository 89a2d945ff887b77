using System.Text.RegularExpressions;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Sources;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

/// <summary>Crawls of the loopback test site with real photos: what is taken, with which set and
/// label, and what is skipped, for which reason.</summary>
public sealed class CrawlServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RunAsync_TestSite_TakesListingPhotosWithSharedSetAndLabelHint()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var ws = await TestWorkspace.CreateAsync();

        var summary = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        Assert.Equal(3, summary.Listings);
        Assert.Equal(5 + 1, summary.Images.Added); // 2 + 2 + 1 listing photos, and the flaky one on its second try
        foreach (var listing in TestSite.Listings)
        {
            var page = site.Url($"/listing/{listing.Number}").AbsoluteUri;
            for (var i = 0; i < listing.PhotoCount; i++)
            {
                var id = await Sha256Hex.OfFileAsync(listing.Photos[i], None);
                var details = (await ws.Catalog.GetImageAsync(id, None))!;
                Assert.Equal(site.Url(listing.PhotoPath(i)).AbsoluteUri, Assert.Single(details.Occurrences).OriginalPath);
                Assert.Equal($"dealer:{page}", details.Effective(Fields.SetId)!.Value);
                Assert.Equal(Provenance.Source, details.Effective(Fields.SetId)!.Provenance);
                Assert.Equal(page, details.Effective(Fields.ListingUrl)!.Value);
                var hint = Assert.Single(details.Labels);
                Assert.Equal(listing.Label, hint.Label);
                Assert.Equal(LabelStatus.Hint, hint.Status);
                Assert.Equal($"crawl:{page} jsonld:brand.name+model", hint.Actor);
            }
        }
        // The srcset's largest candidate was taken; the small one and images outside .gallery were not fetched.
        Assert.Equal(0, site.Hits("/img/1-0-small.jpg"));
        Assert.Equal(0, site.Hits("/img/logo.jpg"));
        Assert.Equal(1, site.Hits("/robots.txt"));
        Assert.Equal(1, site.Hits("/listing/1"));
        Assert.Equal(1, summary.LinksOutsideSite);
        var host = Assert.Single(summary.Hosts, h => h.Host == $"127.0.0.1:{site.Root.Port}");
        Assert.Equal(0.01, host.CrawlDelaySeconds);
        Assert.Equal("not fetched: host blocked", Assert.Single(summary.Hosts, h => h.Host.StartsWith("localhost", StringComparison.Ordinal)).Robots);
    }

    [Fact]
    public async Task RunAsync_BadPagesAndImages_SkippedWithReasonsAndNothingHalfStored()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();

        var summary = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        var pages = summary.PagesSkipped.ToDictionary(p => new Uri(p.Url).PathAndQuery);
        Assert.Equal(RejectCode.RobotsDisallowed, pages["/private/secret"].Code);
        Assert.Contains("Disallow: /private/", pages["/private/secret"].Reason);
        Assert.Equal(RejectCode.RobotsDisallowed, pages["/listing/4"].Code);
        Assert.Equal(RejectCode.NotFound, pages["/missing"].Code);
        Assert.Equal(RejectCode.RedirectLoop, pages["/loop/a"].Code);
        Assert.Contains("/loop/a -> /loop/b -> /loop/a", pages["/loop/a"].Reason);
        Assert.Equal(RejectCode.Timeout, pages["/slow-page"].Code);
        Assert.True(pages["/slow-page"].WillRetry);
        Assert.False(pages["/missing"].WillRetry);
        Assert.Equal(5, pages.Count);
        // robots.txt is obeyed: disallowed pages are never requested.
        Assert.Equal(0, site.Hits("/private/secret"));
        Assert.Equal(0, site.Hits("/listing/4"));

        var images = summary.Images.Rejected.ToDictionary(r => new Uri(r.Path).PathAndQuery);
        Assert.Equal(RejectCode.NotAnImage, images["/img/broken.jpg"].Code);
        Assert.Contains("the server sent HTML (Content-Type image/jpeg)", images["/img/broken.jpg"].Reason);
        Assert.Equal(RejectCode.NotFound, images["/img/gone.jpg"].Code);
        Assert.Equal(RejectCode.TooLarge, images["/img/huge.jpg"].Code);
        Assert.Contains("the download was stopped", images["/img/huge.jpg"].Reason);
        Assert.Equal(RejectCode.TooLarge, images["/img/announced.jpg"].Code);
        Assert.Contains("announces 10,737,418,240 bytes", images["/img/announced.jpg"].Reason);
        Assert.Equal(RejectCode.Timeout, images["/img/slow.jpg"].Code);
        // The same server under the name localhost: a loopback address the user did not name.
        Assert.Equal(RejectCode.Blocked, images["/img/2-1.jpg"].Code);
        Assert.Contains("localhost resolves to", images["/img/2-1.jpg"].Reason);
        Assert.Equal(6, images.Count);
        Assert.Equal(6, summary.Images.Added);

        // Never a half-stored image: the blob store holds exactly the catalogued images.
        var blobs = Directory.EnumerateFiles(ws.Blobs.Location, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var catalogued = (await ws.Catalog.ListImagesAsync(new ImageQuery(), None)).Select(i => i.Image.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(catalogued, blobs);
    }

    [Fact]
    public async Task RunAsync_SecondRun_SkipsWhatIsDoneAndRetriesOnlyTransientFailures()
    {
        await using var site = await TestSite.StartAsync();
        await using var ws = await TestWorkspace.CreateAsync();
        var crawler = SourcesTesting.Crawler(ws);
        var first = await crawler.RunAsync(SourcesTesting.Request(site), null, None);
        var requestsBefore = site.Requests.Count;

        var second = await crawler.RunAsync(SourcesTesting.Request(site), null, None);

        var again = site.Requests.Skip(requestsBefore).Where(r => r != "/robots.txt").Order(StringComparer.Ordinal).ToList();
        // Only what timed out is tried again (once per attempt); done, 404 and robots-disallowed are not.
        Assert.Equal(["/img/slow.jpg", "/img/slow.jpg", "/slow-page", "/slow-page"], again);
        Assert.Equal(0, second.Images.Added);
        Assert.Equal(9, second.PagesDoneBefore); // 5 read, 4 skipped for good; the slow page is tried again
        Assert.Equal(10, second.ImagesDoneBefore); // 6 taken, 4 refused for good; the slow and the blocked one again
        Assert.Equal(1, second.PagesFetched);
        Assert.Equal(first.Images.Added, (await ws.Catalog.CountAsync(None)).Originals);
        Assert.Equal(0, second.PagesPending);
    }

    [Fact]
    public async Task RunAsync_MaxPages_StopsThenNextRunCarriesOn()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var ws = await TestWorkspace.CreateAsync();
        var crawler = SourcesTesting.Crawler(ws);

        var first = await crawler.RunAsync(SourcesTesting.Request(site) with { MaxPages = 2 }, null, None);
        var second = await crawler.RunAsync(SourcesTesting.Request(site) with { MaxPages = 100 }, null, None);

        Assert.Equal(2, first.PagesFetched); // the index and the first listing
        Assert.Equal(1, first.Listings);
        Assert.True(first.PagesPending > 0);
        Assert.Equal(2, first.PagesDoneBefore + first.PagesFetched);
        Assert.Equal(2, second.PagesDoneBefore);
        Assert.Equal(0, second.PagesPending);
        Assert.Equal(2, second.Listings);
        Assert.Equal(6, first.Images.Added + second.Images.Added);
        Assert.Equal(1, site.Hits("/"));
        Assert.Equal(1, site.Hits("/listing/1"));
    }

    [Fact]
    public async Task RunAsync_ImageOnOtherHost_SameHostBlocksAndAllowPrivateTakes()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var sameHost = await TestWorkspace.CreateAsync();
        await using var allowPrivate = await TestWorkspace.CreateAsync();

        var blocked = await SourcesTesting.Crawler(sameHost).RunAsync(SourcesTesting.Request(site) with { SameHost = true, MaxPages = 3 }, null, None);
        var taken = await SourcesTesting.Crawler(allowPrivate).RunAsync(SourcesTesting.Request(site) with { AllowPrivate = true, MaxPages = 3 }, null, None);

        var refused = Assert.Single(blocked.Images.Rejected, r => r.Path.Contains("localhost", StringComparison.Ordinal));
        Assert.Equal(RejectCode.Blocked, refused.Code);
        Assert.Contains("host localhost is not allowed (same host only", refused.Reason);
        Assert.DoesNotContain(taken.Images.Rejected, r => r.Path.Contains("localhost", StringComparison.Ordinal));
        // The other host serves the same bytes as a photo already taken: a second occurrence, not a second image.
        Assert.Equal(1, taken.Images.Duplicates);
    }

    [Fact]
    public async Task RunAsync_LabelSelectorAndListingPattern_LabelFromPageTextOnlyOnListings()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var ws = await TestWorkspace.CreateAsync();
        var request = SourcesTesting.Request(site) with
        {
            Rules = new PageRules { LabelSelector = "h1.title" },
            ListingPattern = new Regex("/listing/[0-9]+$"),
            MaxPages = 4,
        };

        var summary = await SourcesTesting.Crawler(ws).RunAsync(request, null, None);

        // Every img of a listing is taken (the default selector), the logo too, but nothing from the index
        // (the index, read first, shows the logo too).
        Assert.Equal(3, summary.Listings);
        var logo = await Sha256Hex.OfFileAsync(TestAssets.Scene("rims_advert_banner.jpg"), None);
        Assert.Equal(site.Url("/listing/1").AbsoluteUri, (await ws.Catalog.GetImageAsync(logo, None))!.Effective(Fields.ListingUrl)!.Value);
        var audi = await Sha256Hex.OfFileAsync(TestSite.Listings[0].Photos[0], None);
        var hint = Assert.Single((await ws.Catalog.GetImageAsync(audi, None))!.Labels);
        Assert.Equal("Audi S4 Sedan 2012", hint.Label); // white space collapsed
        Assert.EndsWith("css:h1.title", hint.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RobotsUnreachable_WholeSiteDisallowed()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { RobotsStatus = 500 });
        await using var ws = await TestWorkspace.CreateAsync();

        var summary = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        var skipped = Assert.Single(summary.PagesSkipped);
        Assert.Equal(RejectCode.RobotsDisallowed, skipped.Code);
        Assert.Contains("RFC 9309", skipped.Reason);
        Assert.Equal(["/robots.txt", "/robots.txt"], site.Requests); // two attempts, then nothing else
    }

    [Fact]
    public async Task RunAsync_NoRobotsFile_EverythingAllowed()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { RobotsStatus = 404, Slow = false });
        await using var ws = await TestWorkspace.CreateAsync();

        var summary = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        Assert.Equal(1, site.Hits("/private/secret"));
        Assert.DoesNotContain(summary.PagesSkipped, p => p.Code == RejectCode.RobotsDisallowed);
        Assert.StartsWith("none (HTTP 404)", summary.Hosts[0].Robots, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CrawlDelayOverLimit_HostSkipped()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Robots = "User-agent: *\nCrawl-delay: 3600\n" });
        await using var ws = await TestWorkspace.CreateAsync();

        var summary = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        Assert.Contains("Crawl-delay of 3600 s", Assert.Single(summary.PagesSkipped).Reason);
        Assert.Equal(["/robots.txt"], site.Requests);
    }

    [Fact]
    public async Task RunAsync_Cancelled_InterruptedThenNextRunFinishes()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var ws = await TestWorkspace.CreateAsync();
        using var cancel = new CancellationTokenSource();
        site.OnRequest = path => { if (path == "/img/2-0.jpg") cancel.Cancel(); };

        var stopped = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, cancel.Token);
        site.OnRequest = null;
        var finished = await SourcesTesting.Crawler(ws).RunAsync(SourcesTesting.Request(site), null, None);

        Assert.True(stopped.Interrupted);
        Assert.False(finished.Interrupted);
        Assert.Equal(6, stopped.Images.Added + finished.Images.Added);
        Assert.Equal(6, (await ws.Catalog.CountAsync(None)).Originals);
        Assert.Equal(1, site.Hits("/listing/2")); // the listing was read once; its pending images were finished
    }
}

/// <summary>The crawl on PostgreSQL: same outcome, same resumption.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrawlOnPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task RunAsync_TwiceOnPostgres_SecondRunPassesByEverything()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var ws = await TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
        var crawler = SourcesTesting.Crawler(ws);

        var first = await crawler.RunAsync(SourcesTesting.Request(site), null, CancellationToken.None);
        var requests = site.Requests.Count;
        var second = await crawler.RunAsync(SourcesTesting.Request(site), null, CancellationToken.None);

        Assert.Equal(6, first.Images.Added);
        Assert.Equal(3, first.Listings);
        Assert.Equal(0, second.PagesFetched);
        Assert.Equal(0, second.Images.Added);
        // Only the image on the blocked host is tried again, and refused before connecting: no request at all.
        Assert.Equal(requests, site.Requests.Count);
    }
}
