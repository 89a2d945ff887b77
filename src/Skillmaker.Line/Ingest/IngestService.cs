using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Ingest;

/// <summary>Brings files into the blob store and catalog. Files are read, hashed and probed in
/// parallel; one writer records them, one transaction per file, after the bytes are safely stored.
/// So an interrupted run leaves every recorded image complete, and re-running finishes the rest.
/// Other readers (downloads, crawls) feed the same checks through <see cref="StartSessionAsync"/>.</summary>
public sealed class IngestService(
    ICatalog catalog,
    IBlobStore blobs,
    IImageProbe probe,
    IngestSettings settings,
    TimeProvider time,
    ILogger<IngestService> logger,
    RunLeases? leases = null)
{
    public IngestSettings Settings => settings;

    /// <summary>Starts a run whose items come from elsewhere than local files.</summary>
    /// <param name="inputs">What the run reads (URL lists, a start URL), recorded with the run.</param>
    /// <param name="total">Items expected, for progress; 0 when unknown.</param>
    /// <param name="leaseKind">What the run's lease (when this service takes leases) calls it: a crawl's or URL
    /// download's kind, so that a dead one is marked interrupted in the crawl state too.</param>
    public Task<IngestSession> StartSessionAsync(string source, IReadOnlyList<string> inputs, int total, IProgress<IngestProgress>? progress, CancellationToken cancellationToken,
        string leaseKind = IngestSession.LeaseKind) =>
        IngestSession.StartAsync(catalog, blobs, probe, settings, time, logger, source, inputs, total, progress, cancellationToken, leases, leaseKind);

    public async Task<IngestSummary> RunAsync(IngestRequest request, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        IngestPlanner.Plan plan;
        var walkInterrupted = false;
        try
        {
            plan = IngestPlanner.Build(request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while walking the folders: the run is recorded as interrupted (a re-run starts over).
            plan = new IngestPlanner.Plan([], [], 0, []);
            walkInterrupted = true;
        }
        await using var session = await StartSessionAsync(request.Source, [.. request.Paths, .. request.Manifests], plan.Items.Count, progress, walkInterrupted ? CancellationToken.None : cancellationToken);
        session.AddPlanRejections(plan.Rejected);
        if (walkInterrupted) session.MarkInterrupted();
        try
        {
            var parallel = new ParallelOptions
            {
                CancellationToken = cancellationToken,
                MaxDegreeOfParallelism = settings.Parallelism > 0 ? settings.Parallelism : Environment.ProcessorCount,
            };
            await Parallel.ForEachAsync(plan.Items, parallel, async (item, ct) =>
            {
                var read = await IngestWrites.ReadFileAsync(item.Path, settings, ct);
                if (read.Rejection is { } reason) session.Reject(item.Path, reason);
                // The record's completion is not awaited: the worker moves on to the next file while the
                // writer catches up, bounded by the session's queue.
                else _ = await session.EnqueueAsync(item, read.Bytes!, ct);
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            session.MarkInterrupted();
        }
        return await session.FinishAsync(plan.Ignored, plan.Warnings);
    }

    /// <summary>A new run id: time-ordered, unique across machines.</summary>
    public static string NewRunId(TimeProvider time) => Jobs.RunIds.New("ingest", time);
}
