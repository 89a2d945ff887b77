using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Ingest;

namespace Skillmaker.Sources;

/// <summary>What <c>skillmaker ingest --urls FILE</c> takes.</summary>
public sealed record UrlIngestRequest
{
    public required IReadOnlyList<string> UrlLists { get; init; }
    public required string Source { get; init; }
    /// <summary>Hosts the URLs may point at (redirects included); empty: any public host.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];
    /// <summary>Loopback and private-network addresses may be fetched.</summary>
    public bool AllowPrivate { get; init; }
    /// <summary>Download URLs that an earlier run already took (or refused for good) again.</summary>
    public bool Refresh { get; init; }
    /// <summary>The lists' text by their names in <see cref="UrlLists"/>, read where they were given (a job for a
    /// worker carries them); null: read the files.</summary>
    public IReadOnlyDictionary<string, string>? Contents { get; init; }
}

public sealed record UrlIngestSummary
{
    public required IngestSummary Ingest { get; init; }
    /// <summary>URLs taken or refused for good by an earlier run of this source, passed by.</summary>
    public int AlreadyDone { get; init; }
    /// <summary>URLs listed more than once; the first listing counts.</summary>
    public int Repeated { get; init; }
}

/// <summary>Downloads the images of URL lists and ingests them like local files, recording each URL
/// as the image's original path. A few downloads run at once, never more than two per host. Each URL's
/// outcome is kept in the crawl state, so a second run downloads only what is new or failed.
/// robots.txt is not consulted: the list is the user's explicit choice of files, not a crawl.</summary>
public sealed partial class UrlIngestService(
    IngestService ingest,
    ICrawlStateStore state,
    SourceSettings settings,
    TimeProvider time,
    long seed,
    ILogger<UrlIngestService> logger)
{
    private const int PerHost = 2;

    /// <summary>The kind of <see cref="Common.RunLeases"/> entry a URL download run leaves while it runs (when the
    /// ingest service it is given takes leases: in-process, not as a worker's job).</summary>
    public const string LeaseKind = "urls";

    public async Task<UrlIngestSummary> RunAsync(UrlIngestRequest request, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        IngestPlanner.ValidateSourceName(request.Source);
        foreach (var host in request.Allow)
            if (HostScope.Validate(host) is { } problem) throw new Common.SkillmakerException(problem);
        var parsed = UrlList.Read(request.UrlLists, request.Contents);
        var unique = parsed.Entries.DistinctBy(e => e.Url.AbsoluteUri).ToList();
        var known = await state.GetAsync(request.Source, CrawlUrlKind.Image, [.. unique.Select(e => e.Url.AbsoluteUri)], cancellationToken);
        var todo = request.Refresh ? unique : [.. unique.Where(e => !known.TryGetValue(e.Url.AbsoluteUri, out var k) || k.Status is CrawlUrlStatus.Pending or CrawlUrlStatus.Failed)];

        await using var session = await ingest.StartSessionAsync(request.Source, request.UrlLists, todo.Count, progress, cancellationToken, LeaseKind);
        session.AddPlanRejections(parsed.Rejected);
        var run = new CrawlRunRecord
        {
            RunId = session.RunId,
            Source = request.Source,
            Start = string.Join(' ', request.UrlLists),
            Options = JsonSerializer.Serialize(new { request.Allow, request.AllowPrivate, request.Refresh }),
            StartedAt = time.GetUtcNow(),
        };
        await state.StartRunAsync(run, refreshPages: false, cancellationToken);
        await state.AddAsync(request.Source, [.. todo.Select(e => new CrawlUrl { Url = e.Url.AbsoluteUri, Kind = CrawlUrlKind.Image, FoundOn = $"urls:{e.List}", SetId = e.SetId, Label = e.Label })],
            cancellationToken);

        var scope = request.Allow.Count > 0 ? new HostScope(request.Allow) : HostScope.Any;
        using var fetcher = new WebFetcher(settings, new NetworkGuard(request.AllowPrivate), ingest.Settings.MaxFileBytes, time, seed, logger);
        var hosts = new ConcurrentDictionary<string, SemaphoreSlim>(StringComparer.OrdinalIgnoreCase);
        var interrupted = false;
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(1, settings.Parallelism) }, async (entry, ct) =>
            {
                var gate = hosts.GetOrAdd(entry.Url.Authority, _ => new SemaphoreSlim(PerHost));
                await gate.WaitAsync(ct);
                FetchResult fetched;
                try
                {
                    fetched = await fetcher.FetchAsync(entry.Url, FetchKind.Image, scope, "allowed hosts", ct);
                }
                finally
                {
                    gate.Release();
                }
                var outcome = fetched.Succeeded
                    ? await session.IngestAsync(ItemFor(request.Source, entry), fetched.Body, ct)
                    : session.Reject(entry.Url.AbsoluteUri, fetched.Failure);
                var record = new CrawlUrl { Url = entry.Url.AbsoluteUri, Kind = CrawlUrlKind.Image, FoundOn = $"urls:{entry.List}" };
                await state.CompleteAsync(request.Source, outcome.Rejection is { } reason
                    ? record with { Status = CrawlService.WorthRetrying(reason, fetched.StatusCode) ? CrawlUrlStatus.Failed : CrawlUrlStatus.Skipped, Reason = reason.Message, Code = reason.Code.ToString() }
                    : record with { Status = CrawlUrlStatus.Done, ImageId = outcome.ImageId }, session.RunId, [], ct);
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
            session.MarkInterrupted();
        }
        finally
        {
            foreach (var gate in hosts.Values) gate.Dispose();
        }

        var summary = await session.FinishAsync(0, parsed.Warnings);
        await state.FinishRunAsync(run with { FinishedAt = time.GetUtcNow(), Status = interrupted ? "interrupted" : "completed", ImagesAdded = summary.Added }, CancellationToken.None);
        LogFinished(logger, summary.RunId, todo.Count, summary.Added, unique.Count - todo.Count);
        return new UrlIngestSummary { Ingest = summary, AlreadyDone = unique.Count - todo.Count, Repeated = parsed.Entries.Count - unique.Count };
    }

    private static IngestItem ItemFor(string source, UrlListEntry entry) => new()
    {
        Path = entry.Url.AbsoluteUri,
        Source = source,
        Actor = $"urls:{entry.List}",
        FileName = CrawlService.FileName(entry.Url),
        GivenSetId = entry.SetId,
        GivenLabel = entry.Label,
        GivenDateTaken = entry.DateTaken,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "URL ingest {RunId}: {Count} URLs downloaded or tried, {Added} added, {Done} done before")]
    private static partial void LogFinished(ILogger logger, string runId, int count, int added, int done);
}
