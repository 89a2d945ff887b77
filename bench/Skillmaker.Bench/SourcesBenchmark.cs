using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skillmaker.Sources;
using Skillmaker.Ingest;

namespace Skillmaker.Bench;

/// <summary>What downloading costs over ingesting: the cars photos ingested from the local folder,
/// from a URL list served on loopback, and by crawling a loopback site with one listing page per photo
/// (no politeness pause), each into a fresh workspace, alternating, median of the rounds. Loopback has
/// no network latency, so the gap is Skillmaker's own overhead (HTTP, guard, sniffing, crawl state).
/// Also: listing pages parsed per second (AngleSharp, JSON-LD label).</summary>
internal static class SourcesBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new BenchArgs(args);
        var rounds = options.Int("--rounds", 3);
        var cars = Path.Combine(BenchSupport.Assets(), "cars");
        var files = Directory.EnumerateFiles(cars, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var photos = files.Select(File.ReadAllBytes).ToArray();

        await using var site = await StartSiteAsync(photos);
        var root = new Uri(site.Urls.First() + "/");
        var local = new List<double>();
        var urls = new List<double>();
        var crawl = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            local.Add(files.Length / (await BenchSupport.TimeAsync(() => BenchSupport.InWorkspaceAsync(line =>
                line.Ingest().RunAsync(new IngestRequest { Paths = [cars], Source = "bench" }, null, CancellationToken.None)))).TotalSeconds);
            urls.Add(files.Length / (await BenchSupport.TimeAsync(() => BenchSupport.InWorkspaceAsync(async line =>
            {
                var list = Path.Combine(line.Workspace.Root, "urls.txt");
                await File.WriteAllLinesAsync(list, Enumerable.Range(0, photos.Length).Select(i => $"{root}img/{i}.jpg"));
                var summary = await line.UrlIngest().RunAsync(new UrlIngestRequest { UrlLists = [list], Source = "bench", AllowPrivate = true }, null, CancellationToken.None);
                Check(summary.Ingest, photos.Length);
            }))).TotalSeconds);
            crawl.Add(files.Length / (await BenchSupport.TimeAsync(() => BenchSupport.InWorkspaceAsync(async line =>
            {
                var summary = await line.Crawl().RunAsync(new CrawlRequest
                {
                    StartUrl = root, Source = "bench", MaxPages = photos.Length + 1, Delay = TimeSpan.Zero,
                    Rules = new PageRules { ImageSelector = ".gallery", LabelJsonLd = ["brand.name", "model"] },
                }, null, CancellationToken.None);
                Check(summary.Images, photos.Length);
            }))).TotalSeconds);
        }

        var page = System.Text.Encoding.UTF8.GetBytes(ListingPage(7));
        var parser = new AngleSharpPageParser();
        var rules = new PageRules { ImageSelector = ".gallery", LabelJsonLd = ["brand.name", "model"] };
        for (var i = 0; i < 200; i++) parser.Parse(page, "utf-8", root, rules);
        var watch = Stopwatch.StartNew();
        const int Parses = 2000;
        for (var i = 0; i < Parses; i++) parser.Parse(page, "utf-8", root, rules);
        var parseRate = Parses / watch.Elapsed.TotalSeconds;

        var (localRate, urlRate, crawlRate) = (BenchSupport.Median(local), BenchSupport.Median(urls), BenchSupport.Median(crawl));
        Console.WriteLine($"sources benchmark: {files.Length} photos ({photos.Sum(p => (long)p.Length) / 1048576.0:F1} MiB), loopback, median of {rounds} rounds");
        Console.WriteLine($"  local ingest (folder, parallel):               {localRate,8:F1} images/s");
        Console.WriteLine($"  ingest --urls (4 downloads at once):           {urlRate,8:F1} images/s  ({urlRate / localRate:F2} x local)");
        Console.WriteLine($"  crawl (1 listing page per photo, sequential):  {crawlRate,8:F1} images/s  ({crawlRate / localRate:F2} x local; {crawlRate * 2:F1} requests/s)");
        Console.WriteLine($"  listing page parse (AngleSharp + JSON-LD):     {parseRate,8:F0} pages/s");
        return 0;
    }

    private static void Check(IngestSummary summary, int expected)
    {
        if (summary.Added != expected) throw new InvalidOperationException($"{summary.Added} of {expected} added; first rejection: {(summary.Rejected.Count > 0 ? summary.Rejected[0].Reason : "none")}");
    }

    private static string ListingPage(int i) => $$"""
        <!DOCTYPE html><html><head><title>Listing {{i}}</title>
        <script type="application/ld+json">{"@type":"Car","brand":{"@type":"Brand","name":"Brand {{i % 13}}"},"model":"Model {{i}}"}</script></head>
        <body><nav>{{string.Concat(Enumerable.Range(0, 30).Select(n => $"<a href=\"/nav/{n}\">Section {n}</a> "))}}</nav>
        <h1 class="title">Brand {{i % 13}} Model {{i}}</h1>
        <div class="gallery"><img src="/img/{{i}}-small.jpg" srcset="/img/{{i}}-small.jpg 320w, /img/{{i}}.jpg 1200w"></div>
        <p>{{string.Concat(Enumerable.Repeat("Well kept, full service history. ", 40))}}</p>
        <a href="/">Back</a> <a href="/listing/{{i + 1}}">Next</a></body></html>
        """;

    private static async Task<WebApplication> StartSiteAsync(byte[][] photos)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/robots.txt", () => Results.Text("User-agent: *\nDisallow: /nav/\n"));
        app.MapGet("/", () => Results.Content(
            $"<html><body>{string.Concat(Enumerable.Range(0, photos.Length).Select(i => $"<a href=\"/listing/{i}\">{i}</a> "))}</body></html>", "text/html"));
        app.MapGet("/listing/{i:int}", (int i) => i < photos.Length ? Results.Content(ListingPage(i), "text/html") : Results.NotFound());
        app.MapGet("/img/{i:int}.jpg", (int i) => Results.Bytes(photos[i], "image/jpeg"));
        await app.StartAsync();
        return app;
    }
}
