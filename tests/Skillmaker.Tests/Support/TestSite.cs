using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Skillmaker.Tests.Support;

/// <summary>A small used-car website served on loopback (HttpListener: no web framework, so the test
/// binaries keep running the CLI as it ships), with real photos from the shared assets: an index, listing
/// pages (one car advert each, label in h1.title and JSON-LD), robots.txt, and the bad cases a crawler
/// meets: a 404, a redirect loop, a slow page and a slow image, HTML served as an image, an endless
/// image, an image announcing 10 GiB, a flaky (503 once) image, and an image on another host name.</summary>
public sealed partial class TestSite : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentDictionary<string, int> _flaky = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>The adverts: label parts and the photos shown, largest first in a srcset for the first.</summary>
    public static readonly IReadOnlyList<Listing> Listings =
    [
        new(1, "Audi", "S4 Sedan 2012", "audi_s4_sedan_2012", 2),
        new(2, "BMW", "M3 Coupe 2012", "bmw_m3_coupe_2012", 2),
        new(3, "Tesla", "Model S Sedan 2012", "tesla_model_s_sedan_2012", 1),
    ];

    private TestSite(TestSiteOptions options) => Options = options;

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

    public static Task<TestSite> StartAsync(TestSiteOptions? options = null)
    {
        var site = new TestSite(options ?? new TestSiteOptions());
        var port = FreePort();
        site.Root = new Uri($"http://127.0.0.1:{port}/");
        site._listener.Prefixes.Add(site.Root.AbsoluteUri);
        site._listener.Prefixes.Add(site.OtherHostRoot.AbsoluteUri);
        site._listener.Start();
        site._loop = Task.Run(site.AcceptLoopAsync);
        return Task.FromResult(site);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext c)
    {
        var path = c.Request.Url!.PathAndQuery;
        _requests.Enqueue(path);
        OnRequest?.Invoke(path);
        try
        {
            await RouteAsync(c, c.Request.Url.AbsolutePath);
            c.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away (a timeout, a stopped download) or the site is stopping.
            try { c.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private Task RouteAsync(HttpListenerContext c, string path)
    {
        var stop = _stopping.Token;
        if (ListingPath().Match(path) is { Success: true } listing)
        {
            var n = int.Parse(listing.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return n is >= 1 and <= 4 ? Html(c, $"Listing {n}", ListingBody(n), ListingHead(n)) : Status(c, 404);
        }
        if (PhotoPath().Match(path) is { Success: true } photo)
        {
            var (n, i) = (int.Parse(photo.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(photo.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            return n is >= 1 and <= 3 && i < Listings[n - 1].PhotoCount ? File(c, Listings[n - 1].Photos[i]) : Status(c, 404);
        }
        return path switch
        {
            "/robots.txt" => Options.RobotsStatus == 200 ? Text(c, "text/plain", Options.Robots) : Status(c, Options.RobotsStatus),
            "/" => Html(c, "Used cars", $"""
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
                """),
            "/about" => Html(c, "About", """<p>Family business.</p><a href="/">Home</a> <a href="/listing/2">BMW</a>"""),
            "/private/secret" => Html(c, "Staff", """<img src="/img/1-0.jpg">"""),
            "/loop/a" => Redirect(c, "/loop/b"),
            "/loop/b" => Redirect(c, "/loop/a"),
            "/slow-page" => Task.Delay(Timeout.Infinite, stop),
            "/img/logo.jpg" => File(c, TestAssets.Scene("rims_advert_banner.jpg")),
            "/img/broken.jpg" => Text(c, "image/jpeg", "<!DOCTYPE html><html><body>Image not available</body></html>"),
            "/img/huge.jpg" => HugeAsync(c, stop),
            "/img/announced.jpg" => AnnouncedAsync(c, stop),
            "/img/slow.jpg" => SlowImageAsync(c, stop),
            "/img/flaky.jpg" => Flaky(c),
            "/redirect-to-other-host" => Redirect(c, new Uri(OtherHostRoot, "/img/1-0.jpg").AbsoluteUri),
            _ => Status(c, 404),
        };
    }

    /// <summary>A JPEG that never ends, without a Content-Length: only a limit while streaming stops it.</summary>
    private static async Task HugeAsync(HttpListenerContext c, CancellationToken stop)
    {
        c.Response.ContentType = "image/jpeg";
        c.Response.SendChunked = true;
        await c.Response.OutputStream.WriteAsync((await System.IO.File.ReadAllBytesAsync(Listings[2].Photos[0], stop)).AsMemory(0, 1024), stop);
        var filler = new byte[64 * 1024];
        while (true) await c.Response.OutputStream.WriteAsync(filler, stop);
    }

    /// <summary>Announces 10 GiB: refused from the headers, before the body is read.</summary>
    private static async Task AnnouncedAsync(HttpListenerContext c, CancellationToken stop)
    {
        c.Response.ContentType = "image/jpeg";
        c.Response.ContentLength64 = 10L * 1024 * 1024 * 1024;
        await c.Response.OutputStream.WriteAsync(new byte[] { 0xFF, 0xD8, 0xFF }, stop);
        await c.Response.OutputStream.FlushAsync(stop);
        await Task.Delay(Timeout.Infinite, stop);
    }

    /// <summary>Headers and the first bytes come at once, the rest never: the timeout covers the body too.</summary>
    private static async Task SlowImageAsync(HttpListenerContext c, CancellationToken stop)
    {
        c.Response.ContentType = "image/jpeg";
        c.Response.SendChunked = true;
        await c.Response.OutputStream.WriteAsync((await System.IO.File.ReadAllBytesAsync(Listings[2].Photos[0], stop)).AsMemory(0, 600), stop);
        await c.Response.OutputStream.FlushAsync(stop);
        await Task.Delay(Timeout.Infinite, stop);
    }

    private Task Flaky(HttpListenerContext c)
    {
        if (_flaky.AddOrUpdate("flaky", 1, (_, v) => v + 1) == 1)
        {
            c.Response.AddHeader("Retry-After", "0");
            return Status(c, 503);
        }
        return File(c, TestAssets.CarPhotos()[^1]);
    }

    [GeneratedRegex("^/listing/([0-9]+)$")]
    private static partial Regex ListingPath();

    [GeneratedRegex("^/img/([0-9]+)-([0-9]+)(?:-small)?\\.jpg$")]
    private static partial Regex PhotoPath();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
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

    private static Task Html(HttpListenerContext c, string title, string body, string head = "") =>
        Text(c, "text/html; charset=utf-8", $"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>");

    private static async Task Text(HttpListenerContext c, string contentType, string text)
    {
        c.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(text);
        c.Response.ContentLength64 = bytes.Length;
        await c.Response.OutputStream.WriteAsync(bytes);
    }

    private static async Task File(HttpListenerContext c, string path)
    {
        var bytes = await System.IO.File.ReadAllBytesAsync(path);
        c.Response.ContentType = "image/jpeg";
        c.Response.ContentLength64 = bytes.Length;
        await c.Response.OutputStream.WriteAsync(bytes);
    }

    private static Task Status(HttpListenerContext c, int status)
    {
        c.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static Task Redirect(HttpListenerContext c, string location)
    {
        c.Response.StatusCode = 302;
        c.Response.RedirectLocation = location;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Close();
        await _loop;
        _stopping.Dispose();
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
