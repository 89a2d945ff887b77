namespace Skillmaker.Sources;

/// <summary>How Skillmaker downloads from the web (<c>ingest --urls</c>, <c>crawl</c>); the
/// <c>sources</c> section of the workspace config. The largest accepted image is ingest.maxFileBytes.</summary>
public sealed record SourceSettings
{
    /// <summary>Sent with every request. robots.txt rules are matched against its first word
    /// ("Skillmaker"). Default <c>Skillmaker/1.0 (+image dataset crawler; respects robots.txt)</c>.</summary>
    public string UserAgent { get; init; } = "Skillmaker/1.0 (+image dataset crawler; respects robots.txt)";

    /// <summary>Longest wait for one attempt: connecting, headers and the whole body. Default 30 s.</summary>
    public double RequestTimeoutSeconds { get; init; } = 30;

    /// <summary>Longest wait for a TCP connection. Default 10 s.</summary>
    public double ConnectTimeoutSeconds { get; init; } = 10;

    /// <summary>Attempts per URL, the first included. Only transient failures are retried: timeouts,
    /// dropped connections, 5xx, 408 and 429. Default 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Wait before the first retry; doubled for each further one (plus up to 25 % jitter).
    /// Default 1 s.</summary>
    public double RetryDelaySeconds { get; init; } = 1;

    /// <summary>A Retry-After longer than this is not waited for: the URL fails instead. Default 120 s.</summary>
    public double MaxRetryAfterSeconds { get; init; } = 120;

    /// <summary>Redirects followed per URL. Default 5.</summary>
    public int MaxRedirects { get; init; } = 5;

    /// <summary>Largest HTML page read. Default 5 MiB.</summary>
    public long MaxPageBytes { get; init; } = 5L * 1024 * 1024;

    /// <summary>Largest robots.txt read; RFC 9309 asks crawlers to read at least 500 KiB. Default 512 KiB.</summary>
    public long MaxRobotsBytes { get; init; } = 512L * 1024;

    /// <summary>Default pause between two requests to one host when --delay-ms is not given. Default 1000 ms.</summary>
    public int DefaultDelayMilliseconds { get; init; } = 1000;

    /// <summary>A robots.txt Crawl-delay above this skips the host instead of crawling it for days.
    /// Default 60 s.</summary>
    public double MaxCrawlDelaySeconds { get; init; } = 60;

    /// <summary>URLs of a list downloaded at once (never more than 2 per host). Default 4.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>The robots.txt product token: the user agent's first word.</summary>
    public string ProductToken => UserAgent.Split('/', ' ')[0];
}
