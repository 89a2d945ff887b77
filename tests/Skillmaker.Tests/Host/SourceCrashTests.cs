using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Skillmaker.Common;
using Skillmaker.Sources;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Host;

/// <summary>Issue 22's crash leftovers for crawls and URL downloads, and for the standalone server: a real
/// `skillmaker crawl` process is killed (SIGKILL) in the middle of a crawl of the loopback test site, its
/// run left `running` with its lease; then `doctor`, and the startup check of `skillmaker-server`, find it
/// dead and mark it interrupted, in the catalog and in the crawl state, and a re-run carries on.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SourceCrashTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>A workspace with short request timeouts, as a user would configure it.</summary>
    private static async Task<string> InitAsync(TempDir dir)
    {
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init", "--json")).ExitCode);
        var path = Path.Combine(ws, ".skillmaker", "config.json");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        config["sources"] = new JsonObject { ["requestTimeoutSeconds"] = 1.5, ["maxAttempts"] = 2, ["retryDelaySeconds"] = 0.01 };
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return ws;
    }

    private static string[] CrawlArgs(TestSite site) =>
        ["crawl", site.Root.AbsoluteUri, "--source", "dealer", "--delay-ms", "0", "--image-selector", ".gallery", "--label-jsonld", "brand.name", "--label-jsonld", "model"];

    /// <summary>Crawls the site in a child process and kills it while it waits for the slow page (the
    /// listings and their photos are done by then, the about page is still pending). Returns the run id.</summary>
    private static async Task<string> KillCrawlMidwayAsync(string ws, TestSite site)
    {
        var slowPage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        site.OnRequest = path => { if (path == "/slow-page") slowPage.TrySetResult(); };
        await using (var crawler = CliProcess.Start(ws, new Dictionary<string, string>(), CrawlArgs(site)))
        {
            await slowPage.Task.WaitAsync(Limit);
            crawler.Kill();
        }
        site.OnRequest = null;
        var lease = Assert.Single(new RunLeases(Path.Combine(ws, ".skillmaker", "leases")).List());
        Assert.Equal(CrawlService.LeaseKind, lease.Kind);
        return lease.RunId;
    }

    private static async Task<string?> IngestRunStatusAsync(string ws, string runId) =>
        (await CliRunner.RunAsync(ws, "status", "--json")).Json.GetProperty("ingestRuns").EnumerateArray()
            .Single(r => r.GetProperty("runId").GetString() == runId).GetProperty("status").GetString();

    private static async Task<CrawlRunRecord?> CrawlRunAsync(string ws, string runId)
    {
        var workspace = await Workspace.OpenAsync(ws, CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        return await WorkspaceStorage.OpenCrawlStateStore(catalog).GetRunAsync(runId, CancellationToken.None);
    }

    [Fact]
    public async Task Doctor_CrawlKilledMidway_ReportsTheDeadRunAndFixMarksItInterruptedThenReRunCarriesOn()
    {
        await using var site = await TestSite.StartAsync();
        using var dir = new TempDir("crawl-kill");
        var ws = await InitAsync(dir);
        var runId = await KillCrawlMidwayAsync(ws, site);
        Assert.Equal("running", (await CrawlRunAsync(ws, runId))?.Status);

        var found = await CliRunner.RunAsync(ws, "doctor", "--json");
        var fixedRun = await CliRunner.RunAsync(ws, "doctor", "--fix", "--json");
        var after = await CliRunner.RunAsync(ws, "doctor", "--json");

        Assert.True(found.ExitCode == 3, found.Error);
        var dead = Assert.Single(found.Json.GetProperty("findings").EnumerateArray(), f => f.GetProperty("kind").GetString() == "run");
        Assert.Equal($"crawl run {runId}", dead.GetProperty("path").GetString());
        Assert.Equal("leftover", dead.GetProperty("state").GetString());
        Assert.Contains("is gone", dead.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.Error);
        Assert.Equal(1, fixedRun.Json.GetProperty("fixedCount").GetInt32());
        Assert.DoesNotContain(after.Json.GetProperty("findings").EnumerateArray(), f => f.GetProperty("kind").GetString() == "run");
        Assert.Equal("interrupted", await IngestRunStatusAsync(ws, runId));
        var crawlRun = await CrawlRunAsync(ws, runId);
        Assert.Equal("interrupted", crawlRun?.Status);
        Assert.NotNull(crawlRun?.FinishedAt);
        Assert.True(crawlRun?.PagesFetched > 0, "the listings read before the kill are counted");
        Assert.Empty(new RunLeases(Path.Combine(ws, ".skillmaker", "leases")).List());

        // The next crawl carries on from the crawl state: the listings are not fetched again.
        var listingHits = site.Hits("/listing/1");
        var rerun = await CliRunner.RunAsync(ws, [.. CrawlArgs(site), "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.Error);
        Assert.True(rerun.Json.GetProperty("pages").GetProperty("doneBefore").GetInt32() >= 3, rerun.Out);
        Assert.True(rerun.Json.GetProperty("images").GetProperty("doneBefore").GetInt32() >= 1, rerun.Out);
        Assert.Equal(listingHits, site.Hits("/listing/1"));
        Assert.Equal("completed", (await CrawlRunAsync(ws, rerun.Json.GetProperty("runId").GetString()!))?.Status);
    }

    [Fact]
    public async Task StartupCheck_ServerProgramOnWorkspaceWithKilledCrawl_MarksTheRunInterruptedAndNotesIt()
    {
        await using var site = await TestSite.StartAsync();
        using var dir = new TempDir("server-startup");
        var ws = await InitAsync(dir);
        var runId = await KillCrawlMidwayAsync(ws, site);
        var address = $"http://127.0.0.1:{FreePort()}";

        CliResult stopped;
        await using (var server = CliProcess.StartProgram("skillmaker-server.dll", dir.Path, new Dictionary<string, string>(), "--workspace", ws, "--urls", address))
        {
            await server.WaitForAsync("serves", Limit);
            await server.TerminateAsync();
            stopped = await server.WaitForExitAsync(TimeSpan.FromMinutes(1));
        }

        Assert.True(stopped.ExitCode == 0, stopped.Error);
        var note = Assert.Single(stopped.Error.Split('\n'), l => l.StartsWith("note: cleaned a crash leftover:", StringComparison.Ordinal));
        Assert.Contains($"crawl run {runId}", note, StringComparison.Ordinal);
        Assert.Contains("marked interrupted", note, StringComparison.Ordinal);
        Assert.Equal("interrupted", await IngestRunStatusAsync(ws, runId));
        Assert.Equal("interrupted", (await CrawlRunAsync(ws, runId))?.Status);
        Assert.Empty(new RunLeases(Path.Combine(ws, ".skillmaker", "leases")).List());
    }

    [Fact]
    public async Task IngestUrls_WhileDownloading_HoldsAUrlsLeaseOfThisProcessReleasedWhenFinished()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        using var dir = new TempDir("urls-lease");
        var ws = await InitAsync(dir);
        await File.WriteAllTextAsync(Path.Combine(ws, "urls.txt"), $"{site.Url("/img/1-0.jpg")}\n{site.Url("/img/2-0.jpg")}\n");
        var leases = new RunLeases(Path.Combine(ws, ".skillmaker", "leases"));
        var seen = new System.Collections.Concurrent.ConcurrentBag<RunLeases.Entry>();
        site.OnRequest = _ => { foreach (var lease in leases.List()) seen.Add(lease); };

        var result = await CliRunner.RunAsync(ws, "ingest", "--urls", "urls.txt", "--source", "feed", "--allow-private", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var runId = result.Json.GetProperty("runId").GetString();
        Assert.NotEmpty(seen);
        Assert.All(seen, lease =>
        {
            Assert.Equal((UrlIngestService.LeaseKind, runId), (lease.Kind, lease.RunId));
            Assert.Equal(LeaseState.Alive, lease.Owner?.Check()); // this test process ran it (in-process CLI)
        });
        Assert.Empty(leases.List());
        Assert.Equal("completed", (await CrawlRunAsync(ws, runId!))?.Status);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
