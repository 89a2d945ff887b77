using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Ingest;
using Skillmaker.Jobs;

namespace Skillmaker.Sources;

/// <summary>A run submitted to the workers: its id and what the ledger says of it.</summary>
public sealed record SourceSubmission(string RunId, JobRunProgress Progress);

/// <summary><c>ingest --urls</c> as a job (server mode). A worker cannot read the submitter's files, so the
/// job carries the lists' text; the whole download runs on one worker, with the fetcher's guards (network
/// guard, allow list, rate limits per host) applied there, where the requests are made. A run again (the
/// worker died, a retry) downloads only what the crawl state does not record as done, so it adds nothing
/// twice.</summary>
public sealed partial class UrlsJobs(Func<UrlIngestService> downloads, TimeProvider time, ILogger<UrlsJobs> logger) : IBatchHandler
{
    public const string Kind = "urls";

    /// <summary>Checks the request, reads the lists here and submits one job carrying them.</summary>
    public async Task<SourceSubmission> SubmitAsync(UrlIngestRequest request, WorkspaceRef workspace, JobDispatcher dispatcher, CancellationToken cancellationToken)
    {
        IngestPlanner.ValidateSourceName(request.Source);
        foreach (var host in request.Allow)
            if (HostScope.Validate(host) is { } problem) throw new SkillmakerException(problem);
        var contents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var list in request.UrlLists)
            if (File.Exists(list)) contents[list] = await File.ReadAllTextAsync(list, cancellationToken);
        var runId = RunIds.New(Kind, time);
        var progress = await dispatcher.SubmitAsync(Kind, runId, workspace, [request with { Contents = contents }], new { request.Source }, this, cancellationToken, batchSize: 1);
        return new SourceSubmission(runId, progress);
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var request = JobJson.Read<List<UrlIngestRequest>>(batch.Payload, $"{batch}: payload").Single();
        LogDownloading(batch.RunId, request.Source, request.UrlLists.Count);
        var summary = await downloads().RunAsync(request with { Contents = request.Contents ?? new Dictionary<string, string>() }, null, cancellationToken);
        // A worker stopping hands the job back rather than recording an interrupted run: the next attempt
        // carries on from the crawl state.
        cancellationToken.ThrowIfCancellationRequested();
        return JobJson.Write(summary);
    }

    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The run's summary as the worker reported it; null while its job has not finished.</summary>
    public static UrlIngestSummary? Summarize(JobRunRecord run) =>
        run.Batches is [{ Result: { } result }, ..] ? JobJson.Read<UrlIngestSummary>(result, $"URL ingest run {run.RunId}: result") : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "URL ingest {RunId}: downloading the {Lists} lists of source {Source} on this worker")]
    private partial void LogDownloading(string runId, string source, int lists);
}

/// <summary>What a crawl job carries: <see cref="CrawlRequest"/> in a form JSON keeps.</summary>
public sealed record CrawlJobRequest
{
    public required string StartUrl { get; init; }
    public required string Source { get; init; }
    public int MaxPages { get; init; }
    public double? DelayMilliseconds { get; init; }
    public bool SameHost { get; init; }
    public IReadOnlyList<string> Allow { get; init; } = [];
    public bool AllowPrivate { get; init; }
    public PageRules Rules { get; init; } = new();
    public string? ListingPattern { get; init; }
    public bool Refresh { get; init; }

    public static CrawlJobRequest Of(CrawlRequest r) => new()
    {
        StartUrl = r.StartUrl.AbsoluteUri, Source = r.Source, MaxPages = r.MaxPages, DelayMilliseconds = r.Delay?.TotalMilliseconds, SameHost = r.SameHost,
        Allow = r.Allow, AllowPrivate = r.AllowPrivate, Rules = r.Rules, ListingPattern = r.ListingPattern?.ToString(), Refresh = r.Refresh,
    };

    public CrawlRequest ToRequest() => new()
    {
        StartUrl = new Uri(StartUrl), Source = Source, MaxPages = MaxPages, Delay = DelayMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, SameHost = SameHost,
        Allow = Allow, AllowPrivate = AllowPrivate, Rules = Rules,
        ListingPattern = ListingPattern is null ? null : CrawlRequest.ListingPatternOf(ListingPattern), Refresh = Refresh,
    };
}

/// <summary><c>crawl</c> as a job (server mode): the whole crawl runs on one worker, robots.txt, the pause per
/// host and the network guard applied there, where the requests are made. Every step is in the crawl state
/// in the catalog, so a crawl run again (the worker died, a retry) carries on with what is pending.</summary>
public sealed partial class CrawlJobs(Func<CrawlService> crawl, TimeProvider time, ILogger<CrawlJobs> logger) : IBatchHandler
{
    public const string Kind = "crawl";

    public async Task<SourceSubmission> SubmitAsync(CrawlRequest request, WorkspaceRef workspace, JobDispatcher dispatcher, CancellationToken cancellationToken)
    {
        CrawlService.Validate(request);
        var runId = RunIds.New(Kind, time);
        var progress = await dispatcher.SubmitAsync(Kind, runId, workspace, [CrawlJobRequest.Of(request)], new { request.Source, startUrl = request.StartUrl.AbsoluteUri }, this, cancellationToken, batchSize: 1);
        return new SourceSubmission(runId, progress);
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var request = JobJson.Read<List<CrawlJobRequest>>(batch.Payload, $"{batch}: payload").Single();
        LogCrawling(batch.RunId, request.StartUrl, request.Source);
        var summary = await crawl().RunAsync(request.ToRequest(), null, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return JobJson.Write(summary);
    }

    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The crawl's summary as the worker reported it; null while its job has not finished.</summary>
    public static CrawlSummary? Summarize(JobRunRecord run) =>
        run.Batches is [{ Result: { } result }, ..] ? JobJson.Read<CrawlSummary>(result, $"crawl run {run.RunId}: result") : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Crawl {RunId}: crawling {StartUrl} for source {Source} on this worker")]
    private partial void LogCrawling(string runId, string startUrl, string source);
}
