namespace Skillmaker.Sources;

public enum CrawlUrlKind { Page, Image }

/// <summary>Where a URL stands. Done and skipped are final (a later run passes them by); failed may
/// pass (a timeout, a 5xx, a host this run's options blocked) and becomes pending again when the next
/// run starts.</summary>
public enum CrawlUrlStatus { Pending, Done, Skipped, Failed }

/// <summary>A page or image URL a source has met, with what is known about it.</summary>
public sealed record CrawlUrl
{
    /// <summary>Absolute URL without fragment: the key, with the source and kind.</summary>
    public required string Url { get; init; }
    public required CrawlUrlKind Kind { get; init; }
    public CrawlUrlStatus Status { get; init; } = CrawlUrlStatus.Pending;
    /// <summary>Links from the start page to here.</summary>
    public int Depth { get; init; }
    /// <summary>The page that linked it; for an image, its listing page (or the URL list it came from).</summary>
    public string? FoundOn { get; init; }
    /// <summary>Images: the set id their listing gives them.</summary>
    public string? SetId { get; init; }
    /// <summary>Images: the listing's label hint, and the rule that read it (e.g. css:h1.title).</summary>
    public string? Label { get; init; }
    public string? LabelRule { get; init; }
    /// <summary>Images: the catalog image their bytes became.</summary>
    public string? ImageId { get; init; }
    public string? Reason { get; init; }
    /// <summary>The <see cref="Imaging.RejectCode"/> of a skip or failure.</summary>
    public string? Code { get; init; }
    /// <summary>Discovery order.</summary>
    public long Seq { get; init; }
}

public sealed record CrawlStateCounts
{
    public int PagesPending { get; init; }
    public int PagesDone { get; init; }
    public int PagesSkipped { get; init; }
    public int PagesFailed { get; init; }
    public int ImagesPending { get; init; }
    public int ImagesDone { get; init; }
    public int ImagesSkipped { get; init; }
    public int ImagesFailed { get; init; }
}

/// <summary>One crawl or URL-list run, as recorded.</summary>
public sealed record CrawlRunRecord
{
    /// <summary>The ingest run's id: the same run seen from the source's side.</summary>
    public required string RunId { get; init; }
    public required string Source { get; init; }
    /// <summary>The start URL, or the URL list files.</summary>
    public required string Start { get; init; }
    /// <summary>The options the run was started with, as JSON.</summary>
    public required string Options { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string Status { get; init; } = "running";
    public int PagesFetched { get; init; }
    public int ImagesAdded { get; init; }
}

/// <summary>Crawl progress per source, kept in the catalog so that a run can stop anywhere (Ctrl-C,
/// --max-pages, a crash) and the next one carries on: it skips what is done and picks up what is
/// pending, in discovery order.</summary>
public interface ICrawlStateStore
{
    /// <summary>Records the run and makes URLs that failed before pending again; with
    /// <paramref name="refreshPages"/>, pages done or skipped before are visited again too (images that are
    /// done stay done). Returns the state as the run starts.</summary>
    Task<CrawlStateCounts> StartRunAsync(CrawlRunRecord run, bool refreshPages, CancellationToken cancellationToken);

    Task FinishRunAsync(CrawlRunRecord run, CancellationToken cancellationToken);

    /// <summary>The run as recorded; null when no crawl or URL download recorded it.</summary>
    Task<CrawlRunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Marks a run still recorded running as interrupted (its process died: `doctor`, the startup
    /// check); its pages fetched are counted from the URLs it completed. False when it is not running.</summary>
    Task<bool> InterruptRunAsync(string runId, DateTimeOffset finishedAt, CancellationToken cancellationToken);

    /// <summary>Adds the URLs the source has not met yet (any status); returns how many were new.</summary>
    Task<int> AddAsync(string source, IReadOnlyList<CrawlUrl> urls, CancellationToken cancellationToken);

    /// <summary>Pending URLs of a kind in discovery order, optionally only those found on one page.</summary>
    Task<IReadOnlyList<CrawlUrl>> PendingAsync(string source, CrawlUrlKind kind, string? foundOn, int limit, CancellationToken cancellationToken);

    /// <summary>Records what became of a URL and, in the same transaction, what it led to.</summary>
    Task CompleteAsync(string source, CrawlUrl outcome, string runId, IReadOnlyList<CrawlUrl> discovered, CancellationToken cancellationToken);

    /// <summary>What the source knows of these URLs (absent ones are left out).</summary>
    Task<IReadOnlyDictionary<string, CrawlUrl>> GetAsync(string source, CrawlUrlKind kind, IReadOnlyList<string> urls, CancellationToken cancellationToken);

    Task<CrawlStateCounts> CountAsync(string source, CancellationToken cancellationToken);
}
