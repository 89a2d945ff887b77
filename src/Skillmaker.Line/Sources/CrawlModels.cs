using System.Text.RegularExpressions;
using Skillmaker.Imaging;
using Skillmaker.Ingest;

namespace Skillmaker.Sources;

/// <summary>A crawl of one website, as <c>skillmaker crawl</c> takes it.</summary>
public sealed record CrawlRequest
{
    public required Uri StartUrl { get; init; }
    public required string Source { get; init; }
    /// <summary>Pages fetched by this run at most (pages done in earlier runs do not count). Default 100.</summary>
    public int MaxPages { get; init; } = 100;
    /// <summary>Pause between two requests to one host; null: sources.defaultDelayMilliseconds.</summary>
    public TimeSpan? Delay { get; init; }
    /// <summary>Images too must come from the start host or an --allow host (without it, images may come
    /// from any public host, e.g. the site's CDN). Pages always stay within those hosts.</summary>
    public bool SameHost { get; init; }
    /// <summary>More hosts the crawl may fetch pages (and images) from; <c>*.example</c> allows subdomains.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];
    /// <summary>Loopback and private-network addresses may be fetched (they may always be when the start
    /// URL itself names one).</summary>
    public bool AllowPrivate { get; init; }
    public PageRules Rules { get; init; } = new();
    /// <summary>Only pages whose URL matches are listings whose images are taken; others are only
    /// followed. Null: every page is a listing.</summary>
    public Regex? ListingPattern { get; init; }

    /// <summary>A listing pattern as the CLI and a crawl job build it; throws ArgumentException when it is not a regex.</summary>
    public static Regex ListingPatternOf(string pattern) => new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    /// <summary>Visit pages done in earlier runs again (to find new listings); images already taken stay taken.</summary>
    public bool Refresh { get; init; }
}

/// <summary>What a crawl run did.</summary>
public sealed record CrawlSummary
{
    public required string RunId { get; init; }
    public required string Source { get; init; }
    public required string StartUrl { get; init; }
    /// <summary>Page requests made by this run.</summary>
    public int PagesFetched { get; init; }
    /// <summary>Pages whose images were taken (listings).</summary>
    public int Listings { get; init; }
    /// <summary>Image URLs first met in this run.</summary>
    public int ImagesFound { get; init; }
    /// <summary>Pages and images finished in earlier runs, passed by.</summary>
    public int PagesDoneBefore { get; init; }
    public int ImagesDoneBefore { get; init; }
    /// <summary>Pages left for the next run (--max-pages reached, or interrupted).</summary>
    public int PagesPending { get; init; }
    /// <summary>Links to hosts outside the crawl, not followed.</summary>
    public int LinksOutsideSite { get; init; }
    /// <summary>Pages not read, with why; images not taken are in <see cref="Images"/>' rejections.</summary>
    public IReadOnlyList<SkippedUrl> PagesSkipped { get; init; } = [];
    /// <summary>The ingest run the images went through: added, duplicates, rejected with reasons.</summary>
    public required IngestSummary Images { get; init; }
    public IReadOnlyList<CrawlHost> Hosts { get; init; } = [];
    public bool Interrupted { get; init; }
}

/// <param name="WillRetry">The failure may pass (timeout, 5xx, blocked by this run's options): the next run tries again.</param>
public sealed record SkippedUrl(string Url, string Reason, RejectCode Code, bool WillRetry);

public readonly record struct CrawlProgress(int PagesFetched, int PagesPlanned, int ImagesAdded, string? CurrentUrl);
