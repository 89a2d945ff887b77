using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Tests.Support;

/// <summary>A small used-car website served by Kestrel on loopback, with real photos from the shared
/// assets: an index, listing pages (one car advert each, label in h1.title and JSON-LD), robots.txt,
/// and the bad cases a crawler meets: a 404, a redirect loop, a slow page and a slow image, HTML
/// served as an image, an endless image, a flaky (503 once) image, and an image on another host name.</summary>
public sealed class TestSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentDictionary<string, int> _flaky = new();

    /// <summary>The adverts: label parts and the photos shown, largest first in a srcset for the first.</summary>
    public static readonly IReadOnlyList<Listing> Listings =
    [
        new(1, "Audi", "S4 Sedan 2012", "audi_s4_sedan_2012", 2),
        new(2, "BMW", "M3 Coupe 2012", "bmw_m3_coupe_2012", 2),
        new(3, "Tesla", "Model S Sedan 2012", "tesla_model_s_sedan_2012", 1),
    ];

    private TestSite(WebApplication app, TestSiteOptions options)
    {
        _app = app;
        Options = options;
    }

    public TestSiteOptions Options { get; }
    public Uri Root { get; private set; } = null!;
    /// <summary>The same server under another host name (localhost), as a CDN would be.</summary>
    public Uri OtherHostRoot => new($"http://localhost:{Root.Port}/");

    /// <summary>Paths (with query) requested so far, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public int Hits(string path) => _requests.Count(r => r == path);

    public Uri Url(string path) => new(Root, path);

    /// <summary>Set by a test to be called on every request (e.g. to cancel a run midway).</summary>
    public Action<string>? OnRequest { get; set; }

    public sealed record Listing(int Number, string Brand, string Model, string Folder, int PhotoCount)
    {
        public string Label => $"{Brand} {Model}";
        public IReadOnlyList<string> Photos => [.. Directory.EnumerateFiles(Path.Combine(TestAssets.Cars, Folder), "*.jpg").Order(StringComparer.Ordinal).Take(PhotoCount)];
        public string PhotoPath(int index) => $"/img/{Number}-{index}.jpg";
    }

    public static async Task<TestSite> StartAsync(TestSiteOptions? options = null)
    {
        options ??= new TestSiteOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var site = new TestSite(app, options);
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path + context.Request.QueryString;
            site._requests.Enqueue(path);
            site.OnRequest?.Invoke(path);
            await next(context);
        });
        site.Map(app);
        await app.StartAsync();
        site.Root = new Uri(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return site;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/robots.txt", (HttpContext c) => Options.RobotsStatus == 200
            ? Text(c, "text/plain", Options.Robots)
            : Status(c, Options.RobotsStatus));
        app.MapGet("/", (HttpContext c) => Html(c, "Used cars", $"""
            <img src="/img/logo.jpg" alt="logo">
            <ul>
              {string.Concat(Listings.Select(l => $"""<li><a href="/listing/{l.Number}">{l.Label}</a></li>"""))}
              <li><a href="/listing/1#photos">Audi photos</a></li>
              <li><a href="/listing/4">Sold</a></li>
              <li><a href="/private/secret">Staff</a></li>
              <li><a href="/missing">Gone</a></li>
              <li><a href="/loop/a">Loop</a></li>
              {(Options.Slow ? """<li><a href="/slow-page">Slow</a></li>""" : "")}
              <li><a href="/about">About</a></li>
              <li><a href="http://elsewhere.example/cars">Partner</a> <a href="mailto:sales@cars.example">Mail</a></li>
            </ul>
            """));
        app.MapGet("/about", (HttpContext c) => Html(c, "About", """<p>Family business.</p><a href="/">Home</a> <a href="/listing/2">BMW</a>"""));
        app.MapGet("/listing/{n:int}", (HttpContext c, int n) => n is >= 1 and <= 4 ? Html(c, $"Listing {n}", ListingBody(n), ListingHead(n)) : Status(c, 404));
        app.MapGet("/private/secret", (HttpContext c) => Html(c, "Staff", """<img src="/img/1-0.jpg">"""));
        app.MapGet("/loop/a", (HttpContext c) => Redirect(c, "/loop/b"));
        app.MapGet("/loop/b", (HttpContext c) => Redirect(c, "/loop/a"));
        app.MapGet("/slow-page", async (HttpContext c) => await Task.Delay(Timeout.Infinite, c.RequestAborted));
        app.MapGet("/img/logo.jpg", (HttpContext c) => File(c, TestAssets.Scene("rims_advert_banner.jpg")));
        app.MapGet("/img/{n:int}-{i:int}.jpg", (HttpContext c, int n, int i) => File(c, Listings[n - 1].Photos[i]));
        app.MapGet("/img/{n:int}-{i:int}-small.jpg", (HttpContext c, int n, int i) => File(c, Listings[n - 1].Photos[i]));
        app.MapGet("/img/broken.jpg", (HttpContext c) => Text(c, "image/jpeg", "<!DOCTYPE html><html><body>Image not available</body></html>"));
        app.MapGet("/img/huge.jpg", async (HttpContext c) =>
        {
            // A JPEG that never ends, without a Content-Length: only a limit while streaming stops it.
            c.Response.ContentType = "image/jpeg";
            await c.Response.Body.WriteAsync(System.IO.File.ReadAllBytes(Listings[2].Photos[0]).AsMemory(0, 1024), c.RequestAborted);
            var filler = new byte[64 * 1024];
            while (!c.RequestAborted.IsCancellationRequested) await c.Response.Body.WriteAsync(filler, c.RequestAborted);
        });
        app.MapGet("/img/announced.jpg", async (HttpContext c) =>
        {
            // Announces 10 GiB: refused from the headers, before any body byte is read.
            c.Response.ContentType = "image/jpeg";
            c.Response.ContentLength = 10L * 1024 * 1024 * 1024;
            await c.Response.StartAsync(c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted);
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
        });
        app.MapGet("/img/slow.jpg", async (HttpContext c) =>
        {
            // Headers and the first bytes come at once, the rest never: the timeout covers the body too.
            c.Response.ContentType = "image/jpeg";
            await c.Response.Body.WriteAsync(System.IO.File.ReadAllBytes(Listings[2].Photos[0]).AsMemory(0, 600), c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted);
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
        });
        app.MapGet("/img/flaky.jpg", (HttpContext c) =>
        {
            if (_flaky.AddOrUpdate("flaky", 1, (_, v) => v + 1) == 1)
            {
                c.Response.Headers.RetryAfter = "0";
                return Status(c, 503);
            }
            return File(c, TestAssets.CarPhotos()[^1]);
        });
        app.MapGet("/redirect-to-other-host", (HttpContext c) => Redirect(c, new Uri(OtherHostRoot, "/img/1-0.jpg").AbsoluteUri));
    }

    private static string ListingHead(int n) => n > Listings.Count ? "" : $$"""
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"Car","brand":{"@type":"Brand","name":"{{Listings[n - 1].Brand}}"},"model":"{{Listings[n - 1].Model}}"}</script>
        """;

    private string ListingBody(int n)
    {
        if (n > Listings.Count) return """<h1 class="title">Sold</h1><div class="gallery"><img src="/img/1-1.jpg"></div>""";
        var l = Listings[n - 1];
        var gallery = new StringBuilder();
        for (var i = 0; i < l.PhotoCount; i++)
            gallery.Append(i switch
            {
                // The first photo: a small src and a srcset whose largest candidate is the full photo.
                0 => $"""<img src="/img/{n}-0-small.jpg" srcset="/img/{n}-0-small.jpg 320w, {l.PhotoPath(0)} 1200w" alt="front">""",
                // The second: lazy-loaded, a placeholder in src and the photo in data-src.
                _ => $"""<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{l.PhotoPath(i)}" alt="side">""",
            });
        gallery.Append(n switch
        {
            2 => $"""<img src="/img/broken.jpg"><img src="/img/gone.jpg"><img src="{new Uri(OtherHostRoot, "/img/2-1.jpg")}">""",
            3 => """<img src="/img/huge.jpg"><img src="/img/announced.jpg"><img src="/img/flaky.jpg">""" + (Options.Slow ? """<img src="/img/slow.jpg">""" : ""),
            _ => "",
        });
        return $"""
            <h1 class="title"> {l.Brand}
              {l.Model} </h1>
            <div class="gallery">{gallery}</div>
            <img src="/img/logo.jpg" alt="logo">
            <a href="/">Back</a> <a href="/listing/{n % Listings.Count + 1}">Next</a>
            """;
    }

    private static Task Html(HttpContext c, string title, string body, string head = "") =>
        Text(c, "text/html; charset=utf-8", $"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>");

    private static async Task Text(HttpContext c, string contentType, string text)
    {
        c.Response.ContentType = contentType;
        await c.Response.WriteAsync(text, c.RequestAborted);
    }

    private static async Task File(HttpContext c, string path)
    {
        c.Response.ContentType = "image/jpeg";
        await c.Response.Body.WriteAsync(await System.IO.File.ReadAllBytesAsync(path, c.RequestAborted), c.RequestAborted);
    }

    private static Task Status(HttpContext c, int status)
    {
        c.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static Task Redirect(HttpContext c, string location)
    {
        c.Response.StatusCode = 302;
        c.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record TestSiteOptions
{
    /// <summary>The * group forbids everything; Skillmaker's own group applies instead (RFC 9309).</summary>
    public string Robots { get; init; } = """
        User-agent: *
        Disallow: /

        # Our crawler may read the site, except staff pages and sold cars.
        User-agent: Skillmaker
        Disallow: /private/
        Disallow: /listing/4
        Allow: /
        Crawl-delay: 0.01
        """;
    public int RobotsStatus { get; init; } = 200;
    /// <summary>Link a page and an image that never finish (each costs a timeout per attempt).</summary>
    public bool Slow { get; init; } = true;
}
