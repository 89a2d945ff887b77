using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Skillmaker.Common;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Workers;

/// <summary><c>ingest --urls</c> and <c>crawl</c> in server mode: one job each, run by a real worker process
/// against the loopback test site, with the URL list carried in the job and the network guard and robots.txt
/// applied on the worker.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SourceJobsTests(PostgresFixture postgres, S3rverFixture s3)
{
    [Fact]
    public async Task IngestUrlsAndCrawl_ServerMode_RunOnWorkerWithListInJobGuardsAndRobots()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject
        {
            ["pollIntervalSeconds"] = 0.2, ["retryDelaysSeconds"] = new JsonArray(1),
        }, configure: c =>
        {
            c["sources"] = new JsonObject { ["requestTimeoutSeconds"] = 1.5, ["maxAttempts"] = 2, ["retryDelaySeconds"] = 0.01 };
            c["ingest"]!["maxFileBytes"] = 2 * 1024 * 1024;
        });

        // Submitted before any worker runs, and the list deleted at once: the worker can only have it from the job.
        using var lists = new TempDir("urls");
        var list = lists.File("urls.txt");
        var listText = $"{site.Url("/img/logo.jpg")}\n{site.Url("/img/broken.jpg")}\n";
        await File.WriteAllTextAsync(list, listText);
        var detached = await server.CliAsync("ingest", "--urls", list, "-s", "feed", "--allow-private", "--detach", "--json");
        Assert.True(detached.ExitCode == 0, detached.Error);
        Assert.DoesNotContain(site.Requests, r => r.StartsWith("/img/", StringComparison.Ordinal));
        File.Delete(list);

        await using var worker = server.StartWorker("w");
        await ServerWorkspace.ReadyAsync(worker);
        var runId = detached.Json.GetProperty("runId").GetString()!;
        var waited = await server.CliAsync("jobs", "wait", runId, "--json");
        Assert.True(waited.ExitCode == 0, waited.Error + "\nworker:\n" + worker.Error);
        Assert.Equal(1, waited.Json.GetProperty("added").GetInt32());
        var rejected = Assert.Single(waited.Json.GetProperty("rejected").EnumerateArray());
        Assert.Equal(site.Url("/img/broken.jpg").AbsoluteUri, rejected.GetProperty("path").GetString());
        Assert.Contains($"urls {runId} batch 1/1 started", worker.Error);

        // Run again, waiting this time: nothing is downloaded twice.
        await File.WriteAllTextAsync(list, listText);
        var again = await server.CliAsync("ingest", "--urls", list, "-s", "feed", "--allow-private", "--json");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal((0, 2), (again.Json.GetProperty("added").GetInt32(), again.Json.GetProperty("alreadyDone").GetInt32()));

        // Without --allow-private the worker's network guard refuses the loopback address.
        var guarded = await server.CliAsync("ingest", "--urls", list, "-s", "guarded", "--json");
        Assert.True(guarded.ExitCode == 0, guarded.Error);
        Assert.Equal(0, guarded.Json.GetProperty("added").GetInt32());
        Assert.All(guarded.Json.GetProperty("rejected").EnumerateArray(), r => Assert.Contains("private addresses are allowed", r.GetProperty("reason").GetString()));

        // The crawl runs on the worker, robots.txt obeyed there. Like detect's jobs it takes no lease: the job
        // ledger tracks it, and a lease naming the worker's process would be misjudged where the workspace is shared.
        var leases = new RunLeases(Path.Combine(server.Workspace.Root, ".skillmaker", "leases"));
        var leasesSeen = new ConcurrentBag<string>();
        site.OnRequest = _ => { foreach (var lease in leases.List()) leasesSeen.Add(lease.Path); };
        var crawl = await server.CliAsync("crawl", site.Root.AbsoluteUri, "--source", "dealer", "--delay-ms", "0", "--image-selector", ".gallery",
            "--label-jsonld", "brand.name", "--label-jsonld", "model", "--json");
        Assert.True(crawl.ExitCode == 0, crawl.Error + "\nworker:\n" + worker.Error);
        Assert.Equal(3, crawl.Json.GetProperty("pages").GetProperty("listings").GetInt32());
        Assert.Equal(6, crawl.Json.GetProperty("images").GetProperty("added").GetInt32());
        Assert.Contains(crawl.Json.GetProperty("pages").GetProperty("skipped").EnumerateArray(), s => s.GetProperty("code").GetString() == "robotsDisallowed");
        Assert.Matches(@"crawl crawl-\S+ batch 1/1 started", worker.Error);
        Assert.Empty(leasesSeen);

        var listed = (await server.CliAsync("images", "list", "--source", "dealer", "--json")).Json;
        Assert.Equal(6, listed.GetProperty("count").GetInt32());
    }
}
