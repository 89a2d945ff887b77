using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Ingest;

/// <summary>Brings files into the blob store and catalog. Files are read, hashed and probed in
/// parallel; one writer records them, one transaction per file, after the bytes are safely stored.
/// So an interrupted run leaves every recorded image complete, and re-running finishes the rest.</summary>
public sealed partial class IngestService(
    ICatalog catalog,
    IBlobStore blobs,
    IImageProbe probe,
    IngestSettings settings,
    TimeProvider time,
    ILogger<IngestService> logger)
{
    // Enough to keep the writer busy while bounding memory to a handful of files in flight.
    private const int WriteQueueCapacity = 16;

    public async Task<IngestSummary> RunAsync(IngestRequest request, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        var plan = IngestPlanner.Build(request);
        var runId = NewRunId(time);
        var startedAt = time.GetUtcNow();
        await catalog.StartIngestRunAsync(new IngestRun(runId, request.Source, startedAt, [.. request.Paths, .. request.Manifests]), cancellationToken).ConfigureAwait(false);
        LogRunStarted(runId, plan.Items.Count, request.Source);

        var known = (await catalog.GetPerceptualHashesAsync(ImageKind.Original, cancellationToken).ConfigureAwait(false)).ToList();
        var knownIds = new ConcurrentDictionary<string, byte>(known.Select(k => KeyValuePair.Create(k.ImageId, (byte)0)));
        var rejected = new ConcurrentBag<Rejection>(plan.Rejected);
        var pairs = new List<NearDuplicatePair>();
        int added = 0, duplicates = 0, nearDuplicates = 0, completed = 0;
        var interrupted = false;

        var queue = Channel.CreateBounded<IngestWrite>(new BoundedChannelOptions(WriteQueueCapacity) { SingleReader = true });
        var writer = Task.Run(async () =>
        {
            // Writes go on after cancellation for what is already queued: those blobs are stored and
            // their records are cheap, so finishing them leaves less for the re-run.
            await foreach (var write in queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var write2 = write;
                if (write.NewImage is { } image && !knownIds.ContainsKey(image.Id))
                {
                    var links = NearDuplicates.Find(image, known, settings.NearDuplicateMaxDistance);
                    write2 = write with { NearDuplicates = links };
                }
                var result = await catalog.RecordIngestAsync(write2, CancellationToken.None).ConfigureAwait(false);
                if (result.Outcome == IngestWriteOutcome.Added)
                {
                    added++;
                    known.Add((write.ImageId, write.NewImage!.PerceptualHash));
                    knownIds.TryAdd(write.ImageId, 0);
                    if (write2.NearDuplicates.Count > 0)
                    {
                        nearDuplicates++;
                        pairs.AddRange(write2.NearDuplicates.Select(l => new NearDuplicatePair(l.ImageId, l.OtherImageId, l.Distance)));
                        LogNearDuplicate(write.Occurrence.OriginalPath, write2.NearDuplicates[0].OtherImageId, write2.NearDuplicates[0].Distance);
                    }
                }
                else duplicates++;
                progress?.Report(new IngestProgress(Interlocked.Increment(ref completed), plan.Items.Count, write.Occurrence.OriginalPath));
            }
        }, CancellationToken.None);

        try
        {
            var parallel = new ParallelOptions
            {
                CancellationToken = cancellationToken,
                MaxDegreeOfParallelism = settings.Parallelism > 0 ? settings.Parallelism : Environment.ProcessorCount,
            };
            await Parallel.ForEachAsync(plan.Items, parallel, async (item, ct) =>
            {
                var write = await PrepareAsync(item, runId, knownIds, ct).ConfigureAwait(false);
                if (write.Rejection is { } reason)
                {
                    rejected.Add(new Rejection(item.Path, reason.Message, reason.Code));
                    LogRejected(item.Path, reason.Message);
                    progress?.Report(new IngestProgress(Interlocked.Increment(ref completed), plan.Items.Count, item.Path));
                }
                else
                {
                    await queue.Writer.WriteAsync(write.Write!, ct).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }
        finally
        {
            queue.Writer.Complete();
            await writer.ConfigureAwait(false);
        }

        var summary = new IngestSummary
        {
            RunId = runId,
            Source = request.Source,
            Added = added,
            Duplicates = duplicates,
            NearDuplicates = nearDuplicates,
            NearDuplicatePairs = [.. pairs.OrderBy(p => p.ImageId, StringComparer.Ordinal).ThenBy(p => p.OtherImageId, StringComparer.Ordinal)],
            Rejected = [.. rejected.OrderBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Reason, StringComparer.Ordinal)],
            Ignored = plan.Ignored,
            Warnings = plan.Warnings,
            Interrupted = interrupted,
        };
        await catalog.FinishIngestRunAsync(new IngestRunResult
        {
            RunId = runId,
            Source = request.Source,
            StartedAt = startedAt,
            FinishedAt = time.GetUtcNow(),
            Status = interrupted ? IngestRunStatus.Interrupted : IngestRunStatus.Completed,
            Added = added,
            Duplicates = duplicates,
            NearDuplicates = nearDuplicates,
            Rejected = summary.Rejected,
        }, CancellationToken.None).ConfigureAwait(false);
        LogRunFinished(runId, added, duplicates, summary.Rejected.Count, interrupted);
        return summary;
    }

    private async Task<PreparedWrite> PrepareAsync(IngestItem item, string runId, ConcurrentDictionary<string, byte> knownIds, CancellationToken ct)
    {
        var read = await IngestWrites.ReadFileAsync(item.Path, settings, ct).ConfigureAwait(false);
        if (read.Bytes is not { } bytes) return new PreparedWrite(null, read.Rejection);
        var id = Sha256Hex.Of(bytes);
        var now = time.GetUtcNow();

        // Known bytes need no decoding: only the new occurrence and what it says are recorded.
        if (knownIds.ContainsKey(id))
        {
            // A crash between a blob write and its catalog record can only lose the blob's flush, never
            // the record; restore the bytes here so a re-run heals it.
            if (!await blobs.ExistsAsync(id, ct).ConfigureAwait(false))
                await blobs.PutAsync(id, bytes, ct).ConfigureAwait(false);
            return new PreparedWrite(IngestWrites.Known(item, id, runId, now), null);
        }

        var measured = IngestWrites.Measure(item, bytes, id, runId, probe, settings, now);
        if (measured.Write is not null) await blobs.PutAsync(id, bytes, ct).ConfigureAwait(false);
        return measured;
    }

    /// <summary>A new run id: time-ordered, unique across machines.</summary>
    public static string NewRunId(TimeProvider time) => $"ingest-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId} started: {Count} files from source {Source}")]
    private partial void LogRunStarted(string runId, int count, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId} finished: {Added} added, {Duplicates} duplicates, {Rejected} rejected, interrupted={Interrupted}")]
    private partial void LogRunFinished(string runId, int added, int duplicates, int rejected, bool interrupted);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected {Path}: {Reason}")]
    private partial void LogRejected(string path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Path} is a near-duplicate of {Other} (distance {Distance})")]
    private partial void LogNearDuplicate(string path, string other, int distance);
}
