using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Ingest;

namespace Skillmaker.Sources;

/// <summary>Crawls a website that permits it: breadth first from the start URL, one request at a time,
/// robots.txt obeyed and a pause kept per host. A listing page's images share a set id (one advert,
/// one vehicle) and its label hint, and go through the same checks and catalog write as local files.
/// Every step is recorded in the crawl state, so a later run skips what is done and carries on with
/// what is pending.</summary>
public sealed partial class CrawlService(
    IngestService ingest,
    ICrawlStateStore state,
    IHtmlPageParser parser,
    SourceSettings settings,
    TimeProvider time,
    long seed,
    ILogger<CrawlService> logger)
{
    /// <summary>Links to these are not pages; fetching them as pages would only be refused.</summary>
    private static readonly HashSet<string> NotPageExtensions = new(IngestPlanner.ImageExtensions.Concat(
        [".pdf", ".zip", ".gz", ".mp4", ".mov", ".webm", ".mp3", ".css", ".js", ".json", ".xml", ".svg", ".ico"]), StringComparer.OrdinalIgnoreCase);

    /// <summary>The kind of <see cref="RunLeases"/> entry a crawl run leaves while it runs (when the ingest
    /// service it is given takes leases: in-process, not as a worker's job).</summary>
    public const string LeaseKind = "crawl";

    public async Task<CrawlSummary> RunAsync(CrawlRequest request, IProgress<CrawlProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Validate(request);
        var site = new HostScope([start.Host, .. request.Allow]);
        var siteName = request.Allow.Count > 0 ? "start host and allowed hosts" : "start host";
        var imageScope = request.SameHost ? site : HostScope.Any;
        var imageScopeName = request.SameHost ? $"same host only: {siteName}" : "any public host";
        var guard = new NetworkGuard(request.AllowPrivate, NetworkGuard.IsExplicitlyPrivate(start.Host) ? [start.Host] : []);
        using var fetcher = new WebFetcher(settings, guard, ingest.Settings.MaxFileBytes, time, seed, logger);
        var manners = new SiteManners(fetcher, settings, request.Delay ?? TimeSpan.FromMilliseconds(settings.DefaultDelayMilliseconds), time);

        await using var session = await ingest.StartSessionAsync(request.Source, [start.AbsoluteUri], 0, null, cancellationToken, LeaseKind);
        var run = new CrawlRunRecord
        {
            RunId = session.RunId,
            Source = request.Source,
            Start = start.AbsoluteUri,
            Options = JsonSerializer.Serialize(new
            {
                request.MaxPages, delayMs = request.Delay?.TotalMilliseconds, request.SameHost, request.Allow, request.AllowPrivate,
                request.Rules.ImageSelector, request.Rules.LabelSelector, request.Rules.LabelJsonLd, listingPattern = request.ListingPattern?.ToString(), request.Refresh,
            }),
            StartedAt = time.GetUtcNow(),
        };
        var before = await state.StartRunAsync(run, request.Refresh, cancellationToken);
        await state.AddAsync(request.Source, [new CrawlUrl { Url = start.AbsoluteUri, Kind = CrawlUrlKind.Page }], cancellationToken);
        LogCrawlStarted(logger, run.RunId, start, before.PagesDone, before.PagesPending);

        var tally = new Tally();
        var interrupted = false;
        try
        {
            // Images a stopped run left behind belong to listings already read: finish them first.
            await TakeImagesAsync(request, session, manners, fetcher, imageScope, imageScopeName, null, tally, cancellationToken);
            while (tally.PagesFetched < request.MaxPages)
            {
                var batch = await state.PendingAsync(request.Source, CrawlUrlKind.Page, null, 1, cancellationToken);
                if (batch.Count == 0) break;
                var next = batch[0];
                var pending = (await state.CountAsync(request.Source, cancellationToken)).PagesPending;
                progress?.Report(new CrawlProgress(tally.PagesFetched, Math.Min(request.MaxPages, tally.PagesFetched + pending), tally.ImagesAdded, next.Url));
                await VisitAsync(request, next, session, manners, fetcher, site, siteName, tally, cancellationToken);
                await TakeImagesAsync(request, session, manners, fetcher, imageScope, imageScopeName, next.Url, tally, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
            session.MarkInterrupted();
        }

        var images = await session.FinishAsync();
        var after = await state.CountAsync(request.Source, CancellationToken.None);
        await state.FinishRunAsync(run with
        {
            FinishedAt = time.GetUtcNow(),
            Status = interrupted ? "interrupted" : "completed",
            PagesFetched = tally.PagesFetched,
            ImagesAdded = images.Added,
        }, CancellationToken.None);
        progress?.Report(new CrawlProgress(tally.PagesFetched, tally.PagesFetched, images.Added, null));
        LogCrawlFinished(logger, run.RunId, tally.PagesFetched, images.Added, tally.Skipped.Count, after.PagesPending);
        return new CrawlSummary
        {
            RunId = run.RunId,
            Source = request.Source,
            StartUrl = start.AbsoluteUri,
            PagesFetched = tally.PagesFetched,
            Listings = tally.Listings,
            ImagesFound = tally.ImagesFound,
            PagesDoneBefore = request.Refresh ? 0 : before.PagesDone + before.PagesSkipped,
            ImagesDoneBefore = before.ImagesDone + before.ImagesSkipped,
            PagesPending = after.PagesPending,
            LinksOutsideSite = tally.LinksOutsideSite,
            PagesSkipped = [.. tally.Skipped],
            Images = images,
            Hosts = manners.Hosts,
            Interrupted = interrupted,
        };
    }

    /// <summary>Checks what the command line cannot: the start URL and source name.</summary>
    public static Uri Validate(CrawlRequest request)
    {
        IngestPlanner.ValidateSourceName(request.Source);
        if (!request.StartUrl.IsAbsoluteUri || (request.StartUrl.Scheme != Uri.UriSchemeHttp && request.StartUrl.Scheme != Uri.UriSchemeHttps))
            throw new SkillmakerException($"start URL '{request.StartUrl}' is not an http(s) URL; expected e.g. https://cars.example/used/");
        if (request.MaxPages < 1) throw new InvalidSettingException(null, "maxPages", $"is {request.MaxPages}; expected at least 1");
        foreach (var host in request.Allow)
            if (HostScope.Validate(host) is { } problem) throw new InvalidSettingException(null, "allow", problem);
        return PageText.Resolve(request.StartUrl, request.StartUrl.AbsoluteUri)!;
    }

    private async Task VisitAsync(CrawlRequest request, CrawlUrl page, IngestSession session, SiteManners manners, WebFetcher fetcher,
        HostScope site, string siteName, Tally tally, CancellationToken ct)
    {
        var url = new Uri(page.Url);
        var refusal = site.Check(url, siteName) is { } outside
            ? new RejectReason(RejectCode.Blocked, outside)
            : await manners.AwaitTurnAsync(url, ct);
        if (refusal is not null)
        {
            await SkipPageAsync(request, page, refusal, WorthRetrying(refusal, null), session.RunId, tally, ct);
            return;
        }

        var fetched = await fetcher.FetchAsync(url, FetchKind.Page, site, siteName, ct);
        tally.PagesFetched++;
        if (!fetched.Succeeded)
        {
            await SkipPageAsync(request, page, fetched.Failure, WorthRetrying(fetched.Failure, fetched.StatusCode), session.RunId, tally, ct);
            return;
        }

        var parsed = parser.Parse(fetched.Body, fetched.Charset, fetched.FinalUrl ?? url, request.Rules);
        var links = new List<CrawlUrl>();
        if (!parsed.NoFollow)
        {
            foreach (var link in parsed.Links)
            {
                if (!site.Allows(link)) tally.LinksOutsideSite++;
                else if (!NotPageExtensions.Contains(Path.GetExtension(link.AbsolutePath)))
                    links.Add(new CrawlUrl { Url = link.AbsoluteUri, Kind = CrawlUrlKind.Page, Depth = page.Depth + 1, FoundOn = page.Url });
            }
        }
        var images = new List<CrawlUrl>();
        var isListing = !parsed.NoImages && parsed.Images.Count > 0 && (request.ListingPattern?.IsMatch(page.Url) ?? true);
        if (isListing)
        {
            tally.Listings++;
            images.AddRange(parsed.Images.Select(i => new CrawlUrl
            {
                Url = i.Url.AbsoluteUri,
                Kind = CrawlUrlKind.Image,
                Depth = page.Depth,
                FoundOn = page.Url,
                SetId = $"{request.Source}:{page.Url}",
                Label = parsed.Label?.Value,
                LabelRule = parsed.Label?.Rule,
            }));
        }
        var known = await state.GetAsync(request.Source, CrawlUrlKind.Image, [.. images.Select(i => i.Url)], ct);
        tally.ImagesFound += images.Count(i => !known.ContainsKey(i.Url));
        await state.CompleteAsync(request.Source, page with { Status = CrawlUrlStatus.Done, Reason = null, Code = null }, session.RunId, [.. links, .. images], ct);
        LogPageRead(logger, url, links.Count, images.Count, parsed.Label?.Value);
    }

    private async Task SkipPageAsync(CrawlRequest request, CrawlUrl page, RejectReason reason, bool willRetry, string runId, Tally tally, CancellationToken ct)
    {
        tally.Skipped.Add(new SkippedUrl(page.Url, reason.Message, reason.Code, willRetry));
        LogSkipped(logger, page.Url, reason.Message);
        await state.CompleteAsync(request.Source, page with { Status = willRetry ? CrawlUrlStatus.Failed : CrawlUrlStatus.Skipped, Reason = reason.Message, Code = reason.Code.ToString() },
            runId, [], ct);
    }

    /// <summary>Downloads and ingests the pending images of one listing (or of all, when
    /// <paramref name="listing"/> is null), one at a time.</summary>
    private async Task TakeImagesAsync(CrawlRequest request, IngestSession session, SiteManners manners, WebFetcher fetcher,
        HostScope scope, string scopeName, string? listing, Tally tally, CancellationToken ct)
    {
        foreach (var image in await state.PendingAsync(request.Source, CrawlUrlKind.Image, listing, int.MaxValue, ct))
        {
            var url = new Uri(image.Url);
            var refusal = scope.Check(url, scopeName) is { } outside
                ? new RejectReason(RejectCode.Blocked, outside)
                : await manners.AwaitTurnAsync(url, ct);
            int? status = null;
            IngestItemOutcome outcome;
            if (refusal is not null) outcome = session.Reject(image.Url, refusal);
            else
            {
                var fetched = await fetcher.FetchAsync(url, FetchKind.Image, scope, scopeName, ct);
                status = fetched.StatusCode;
                outcome = fetched.Succeeded
                    ? await session.IngestAsync(ItemFor(request.Source, image), fetched.Body, ct)
                    : session.Reject(image.Url, fetched.Failure);
            }
            if (outcome.Status == IngestItemStatus.Added) tally.ImagesAdded++;
            var done = outcome.Rejection is null
                ? image with { Status = CrawlUrlStatus.Done, ImageId = outcome.ImageId }
                : image with { Status = WorthRetrying(outcome.Rejection, status) ? CrawlUrlStatus.Failed : CrawlUrlStatus.Skipped, Reason = outcome.Rejection.Message, Code = outcome.Rejection.Code.ToString() };
            await state.CompleteAsync(request.Source, done, session.RunId, [], ct);
        }
    }

    /// <summary>What an image's listing says about it, with the listing as the actor (and the rule that
    /// read the label, so a wrong hint can be traced to its selector).</summary>
    public static IngestItem ItemFor(string source, CrawlUrl image) => new()
    {
        Path = image.Url,
        Source = source,
        Actor = $"crawl:{image.FoundOn}",
        FileName = FileName(new Uri(image.Url)),
        GivenSetId = image.SetId,
        GivenLabel = image.Label,
        LabelActor = image.LabelRule is { } rule ? $"crawl:{image.FoundOn} {rule}" : null,
        GivenFields = image.FoundOn is { } page ? new Dictionary<string, string> { [Fields.ListingUrl] = page } : new Dictionary<string, string>(),
    };

    /// <summary>The URL's last path segment, unescaped; the host when the path is empty.</summary>
    public static string FileName(Uri url)
    {
        var last = Uri.UnescapeDataString(url.AbsolutePath.TrimEnd('/').Split('/')[^1]);
        return last.Length > 0 ? last : url.Host;
    }

    /// <summary>Whether the next run should try again: a timeout, a dropped connection or a 5xx may
    /// pass, and a host blocked by this run's options (--allow, --allow-private) may be allowed next time.</summary>
    public static bool WorthRetrying(RejectReason? reason, int? statusCode) => reason?.Code switch
    {
        RejectCode.Timeout or RejectCode.NetworkError or RejectCode.Blocked => true,
        RejectCode.HttpError => statusCode is >= 500 or 429 or 408,
        _ => false,
    };

    private sealed class Tally
    {
        public int PagesFetched { get; set; }
        public int Listings { get; set; }
        public int ImagesFound { get; set; }
        public int ImagesAdded { get; set; }
        public int LinksOutsideSite { get; set; }
        public List<SkippedUrl> Skipped { get; } = [];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Crawl {RunId} from {Start}: {Done} pages done before, {Pending} pending")]
    private static partial void LogCrawlStarted(ILogger logger, string runId, Uri start, int done, int pending);

    [LoggerMessage(Level = LogLevel.Information, Message = "Crawl {RunId} finished: {Pages} pages fetched, {Added} images added, {Skipped} pages skipped, {Pending} pending")]
    private static partial void LogCrawlFinished(ILogger logger, string runId, int pages, int added, int skipped, int pending);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Url}: {Links} links, {Images} images, label {Label}")]
    private static partial void LogPageRead(ILogger logger, Uri url, int links, int images, string? label);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped {Url}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string url, string reason);
}
