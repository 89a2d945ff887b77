using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Sources;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

/// <summary>Real crawl and download services on a test workspace, with limits small enough for tests.</summary>
internal static class SourcesTesting
{
    /// <summary>Short timeouts and retry waits; no politeness pause unless a test asks for one.</summary>
    public static readonly SourceSettings Fast = new()
    {
        RequestTimeoutSeconds = 1.5,
        ConnectTimeoutSeconds = 2,
        MaxAttempts = 2,
        RetryDelaySeconds = 0.01,
        DefaultDelayMilliseconds = 0,
    };

    /// <summary>Larger than every car photo, far smaller than the endless image.</summary>
    public const long MaxImageBytes = 2 * 1024 * 1024;

    public static IngestService Ingest(TestWorkspace ws) => ws.Ingest(ws.Workspace.Config.Ingest with { MaxFileBytes = MaxImageBytes });

    public static CrawlService Crawler(TestWorkspace ws, SourceSettings? settings = null) =>
        new(Ingest(ws), WorkspaceStorage.OpenCrawlStateStore(ws.Catalog), new AngleSharpPageParser(), settings ?? Fast, TimeProvider.System, 42, NullLogger<CrawlService>.Instance);

    public static UrlIngestService Downloader(TestWorkspace ws, SourceSettings? settings = null) =>
        new(Ingest(ws), WorkspaceStorage.OpenCrawlStateStore(ws.Catalog), settings ?? Fast, TimeProvider.System, 42, NullLogger<UrlIngestService>.Instance);

    /// <summary>The crawl the tests mostly run: listing images from .gallery, label from JSON-LD.</summary>
    public static CrawlRequest Request(TestSite site, string source = "dealer") => new()
    {
        StartUrl = site.Root,
        Source = source,
        Rules = new PageRules { ImageSelector = ".gallery", LabelJsonLd = ["brand.name", "model"] },
    };
}
