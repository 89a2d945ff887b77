using System.Collections.Concurrent;
using Skillmaker.Imaging;

namespace Skillmaker.Sources;

/// <summary>How a crawl behaves towards each host: it reads the host's robots.txt once, obeys it, and
/// keeps a pause between two requests (the larger of --delay-ms and the robots.txt Crawl-delay).</summary>
public sealed class SiteManners(WebFetcher fetcher, SourceSettings settings, TimeSpan delay, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<HostManners>>> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRequest = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Hosts met so far: what their robots.txt said and the pause kept.</summary>
    public IReadOnlyList<CrawlHost> Hosts =>
        [.. _hosts.Values.Where(v => v.IsValueCreated && v.Value.IsCompletedSuccessfully).Select(v => v.Value.Result.Summary).OrderBy(h => h.Host, StringComparer.Ordinal)];

    /// <summary>Null when <paramref name="url"/> may be fetched now (after waiting for its host's turn),
    /// else why not.</summary>
    public async Task<RejectReason?> AwaitTurnAsync(Uri url, CancellationToken cancellationToken)
    {
        var host = await ForAsync(url, cancellationToken);
        if (host.Refusal is { } refusal) return refusal;
        var (allowed, rule) = host.Robots.Check(url);
        if (!allowed)
            return new RejectReason(RejectCode.RobotsDisallowed, host.Robots.DisallowAllReason ?? $"robots.txt of {url.Authority} disallows {url.PathAndQuery} for {settings.ProductToken} ({rule})");
        await WaitAsync(url.Authority, host.Delay, cancellationToken);
        return null;
    }

    private Task<HostManners> ForAsync(Uri url, CancellationToken cancellationToken) =>
        _hosts.GetOrAdd(url.GetLeftPart(UriPartial.Authority), origin => new Lazy<Task<HostManners>>(() => LoadAsync(new Uri(origin), cancellationToken))).Value;

    private async Task<HostManners> LoadAsync(Uri origin, CancellationToken cancellationToken)
    {
        var robotsUrl = new Uri(origin, "/robots.txt");
        await WaitAsync(origin.Authority, delay, cancellationToken);
        var fetched = await fetcher.FetchAsync(robotsUrl, FetchKind.Robots, HostScope.Any, "robots.txt", cancellationToken);
        RobotsTxt robots;
        string said;
        if (fetched.Failure?.Code == RejectCode.Blocked)
        {
            // The host itself may not be fetched: say so, rather than blame its robots.txt.
            return new HostManners(RobotsTxt.AllowAll, delay, fetched.Failure, new CrawlHost(origin.Authority, "not fetched: host blocked", null, delay.TotalSeconds));
        }
        if (fetched.Succeeded)
        {
            robots = RobotsTxt.Parse(System.Text.Encoding.UTF8.GetString(fetched.Body), settings.ProductToken);
            said = $"{robots.RuleCount} rule{(robots.RuleCount == 1 ? "" : "s")} for {settings.ProductToken}";
        }
        else if (fetched.StatusCode is >= 400 and < 500)
        {
            // RFC 9309: an unavailable robots.txt (4xx) allows everything.
            robots = RobotsTxt.AllowAll;
            said = $"none (HTTP {fetched.StatusCode}): everything allowed";
        }
        else
        {
            robots = RobotsTxt.DisallowAll($"robots.txt of {origin.Authority} could not be read ({fetched.Failure.Message}); RFC 9309 says to treat the whole site as disallowed");
            said = $"unreadable ({fetched.Failure.Message}): everything disallowed";
        }

        var hostDelay = delay;
        RejectReason? refusal = null;
        if (robots.CrawlDelay is { } crawlDelay)
        {
            if (crawlDelay > TimeSpan.FromSeconds(settings.MaxCrawlDelaySeconds))
                refusal = new RejectReason(RejectCode.RobotsDisallowed,
                    $"robots.txt of {origin.Authority} asks for a Crawl-delay of {crawlDelay.TotalSeconds:0.###} s, over sources.maxCrawlDelaySeconds ({settings.MaxCrawlDelaySeconds:0.###} s); host skipped");
            else if (crawlDelay > hostDelay) hostDelay = crawlDelay;
        }
        return new HostManners(robots, hostDelay, refusal, new CrawlHost(origin.Authority, said, robots.CrawlDelay?.TotalSeconds, hostDelay.TotalSeconds));
    }

    /// <summary>Waits until <paramref name="pause"/> has passed since the host's last request, and books
    /// the next request now. Requests are sequential, so no two callers race for one host.</summary>
    private async Task WaitAsync(string authority, TimeSpan pause, CancellationToken cancellationToken)
    {
        if (_lastRequest.TryGetValue(authority, out var last))
        {
            var wait = last + pause - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken);
        }
        _lastRequest[authority] = time.GetUtcNow();
    }

    private sealed record HostManners(RobotsTxt Robots, TimeSpan Delay, RejectReason? Refusal, CrawlHost Summary);
}

/// <summary>A host a crawl met: what its robots.txt said and the pause kept between requests.</summary>
public sealed record CrawlHost(string Host, string Robots, double? CrawlDelaySeconds, double DelaySeconds);
