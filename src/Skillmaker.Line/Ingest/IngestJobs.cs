using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Jobs;
using Skillmaker.Workspaces;

namespace Skillmaker.Ingest;

/// <summary>A file the command staged: where the user's file was, what its source says, and the blob
/// that holds its bytes (named by their SHA-256, so it is also the image's id).</summary>
public sealed record StagedFile(IngestItem Item, string BlobId);

/// <summary>What the command found before splitting, for the finish step and the summary.</summary>
public sealed record IngestRunContext
{
    public required string Source { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>Files refused where the command ran (missing, empty, too large, not an image).</summary>
    public IReadOnlyList<Rejection> Rejected { get; init; } = [];
    public int Ignored { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record IngestBatchResult
{
    public int Added { get; init; }
    public int Duplicates { get; init; }
    public int NearDuplicates { get; init; }
    public IReadOnlyList<NearDuplicatePair> Pairs { get; init; } = [];
    public IReadOnlyList<Rejection> Rejected { get; init; } = [];
}

public sealed record IngestSubmission(string RunId, JobRunProgress Progress, int Staged, int RejectedHere);

/// <summary>Ingest as batch jobs. Workers on other machines cannot read the user's paths, so the command
/// reads every file, refuses what it can tell is no image, and stages the bytes into the blob store under
/// their SHA-256: for an image that is already its final place, so nothing is copied twice. Jobs carry
/// only paths and blob ids; a worker reads the bytes from the store (hash verified), measures them and
/// records a whole batch in one transaction together with the batch's result, so a retried batch neither
/// duplicates rows nor miscounts. Bytes a worker then refuses (truncated, too many pixels) stay in the
/// store unreferenced.</summary>
public sealed partial class IngestJobs(
    ICatalog catalog,
    IBlobStore blobs,
    IImageProbe probe,
    IngestSettings settings,
    TimeProvider time,
    ILogger<IngestJobs> logger) : IBatchHandler
{
    public const string Kind = "ingest";

    private ParallelOptions Parallel(CancellationToken cancellationToken) => new()
    {
        CancellationToken = cancellationToken,
        MaxDegreeOfParallelism = settings.Parallelism > 0 ? settings.Parallelism : Environment.ProcessorCount,
    };

    /// <summary>Plans, checks and stages every file, starts the ingest run and submits its batches.</summary>
    public async Task<IngestSubmission> SubmitAsync(IngestRequest request, WorkspaceRef workspace, JobDispatcher dispatcher, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        var plan = IngestPlanner.Build(request, cancellationToken);
        var runId = IngestService.NewRunId(time);
        var startedAt = time.GetUtcNow();
        await catalog.StartIngestRunAsync(new IngestRun(runId, request.Source, startedAt, [.. request.Paths, .. request.Manifests]), cancellationToken);
        LogStaging(runId, plan.Items.Count, blobs.Location);

        var staged = new StagedFile?[plan.Items.Count];
        var rejected = new ConcurrentBag<Rejection>(plan.Rejected);
        var completed = 0;
        try
        {
            await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, plan.Items.Count), Parallel(cancellationToken), async (i, ct) =>
            {
                var item = plan.Items[i];
                var (blobId, refusal) = await StageAsync(item.Path, ct);
                if (refusal is not null) rejected.Add(new Rejection(item.Path, refusal.Message, refusal.Code));
                else staged[i] = new StagedFile(item, blobId!);
                progress?.Report(new IngestProgress(Interlocked.Increment(ref completed), plan.Items.Count, item.Path));
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Nothing was enqueued; staged bytes are content-addressed and simply found again next time.
            await catalog.FinishIngestRunAsync(new IngestRunResult
            {
                RunId = runId, Source = request.Source, StartedAt = startedAt, FinishedAt = time.GetUtcNow(), Status = IngestRunStatus.Interrupted,
            }, CancellationToken.None);
            throw;
        }

        var files = staged.OfType<StagedFile>().ToList();
        var context = new IngestRunContext
        {
            Source = request.Source, StartedAt = startedAt, Rejected = Sorted(rejected), Ignored = plan.Ignored, Warnings = plan.Warnings,
        };
        var submitted = await dispatcher.SubmitAsync(Kind, runId, workspace, files, context, this, cancellationToken);
        return new IngestSubmission(runId, submitted, files.Count, context.Rejected.Count);
    }

    private async Task<(string? BlobId, RejectReason? Refusal)> StageAsync(string path, CancellationToken cancellationToken)
    {
        var read = await IngestWrites.ReadFileAsync(path, settings, cancellationToken);
        if (read.Bytes is not { } bytes) return (null, read.Rejection);
        // What is plainly no image never enters the content store.
        if (ImageFormatSniffer.RefusalOf(bytes) is { } refusal) return (null, refusal);
        var id = Sha256Hex.Of(bytes);
        await blobs.PutAsync(id, bytes, cancellationToken);
        return (id, null);
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var files = JobJson.Read<List<StagedFile>>(batch.Payload, $"{batch}: payload");
        var prepared = new PreparedWrite[files.Count];
        await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, files.Count), Parallel(cancellationToken), async (i, ct) =>
            prepared[i] = await PrepareAsync(files[i], batch.RunId, ct));

        var writes = prepared.Where(p => p.Write is not null).Select(p => p.Write!).ToList();
        var rejected = files.Zip(prepared).Where(f => f.Second.Rejection is not null)
            .Select(f => new Rejection(f.First.Item.Path, f.Second.Rejection!.Message, f.Second.Rejection.Code)).ToList();
        string? result = null;
        await catalog.RecordIngestBatchAsync(writes, settings.NearDuplicateMaxDistance, outcomes =>
        {
            result = JobJson.Write(Result(outcomes, rejected));
            return new BatchCompletion(batch.RunId, batch.Index, result, time.GetUtcNow());
        }, cancellationToken);
        return result!;
    }

    private async Task<PreparedWrite> PrepareAsync(StagedFile file, string runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (IngestWrites.LabelRefusal(file.Item) is { } badLabel) return new PreparedWrite(null, badLabel);
        if (await catalog.ImageExistsAsync(file.BlobId, cancellationToken))
            return new PreparedWrite(IngestWrites.Known(file.Item, file.BlobId, runId, now), null);
        byte[] bytes;
        try
        {
            bytes = await blobs.ReadAllBytesAsync(file.BlobId, cancellationToken);
        }
        catch (BlobNotFoundException ex)
        {
            return new PreparedWrite(null, new RejectReason(RejectCode.Unreadable, $"the staged bytes are gone: {ex.Message} Run the ingest again."));
        }
        catch (BlobCorruptException ex)
        {
            return new PreparedWrite(null, new RejectReason(RejectCode.Corrupt, ex.Message));
        }
        return IngestWrites.Measure(file.Item, bytes, file.BlobId, runId, probe, settings, now);
    }

    private static IngestBatchResult Result(IReadOnlyList<IngestWriteResult> outcomes, IReadOnlyList<Rejection> rejected) => new()
    {
        Added = outcomes.Count(o => o.Outcome == IngestWriteOutcome.Added),
        Duplicates = outcomes.Count(o => o.Outcome != IngestWriteOutcome.Added),
        NearDuplicates = outcomes.Count(o => o.Outcome == IngestWriteOutcome.Added && o.Links.Count > 0),
        Pairs = [.. outcomes.SelectMany(o => o.Links.Select(l => new NearDuplicatePair(l.ImageId, l.OtherImageId, l.Distance)))],
        Rejected = rejected,
    };

    public async Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken)
    {
        var summary = Summarize(run);
        var context = JobJson.Read<IngestRunContext>(run.Context, $"ingest run {run.RunId}: context");
        await catalog.FinishIngestRunAsync(new IngestRunResult
        {
            RunId = run.RunId, Source = context.Source, StartedAt = context.StartedAt, FinishedAt = time.GetUtcNow(), Status = IngestRunStatus.Completed,
            Added = summary.Added, Duplicates = summary.Duplicates, NearDuplicates = summary.NearDuplicates, Rejected = summary.Rejected,
        }, cancellationToken);
        LogFinished(run.RunId, summary.Added, summary.Duplicates, summary.Rejected.Count);
    }

    /// <summary>The run's summary, as an in-process run would have reported it.</summary>
    public static IngestSummary Summarize(JobRunRecord run)
    {
        var context = JobJson.Read<IngestRunContext>(run.Context, $"ingest run {run.RunId}: context");
        var results = run.Batches.Where(b => b.Result is not null).Select(b => JobJson.Read<IngestBatchResult>(b.Result!, $"ingest run {run.RunId}: batch {b.Index + 1}")).ToList();
        return new IngestSummary
        {
            RunId = run.RunId,
            Source = context.Source,
            Added = results.Sum(r => r.Added),
            Duplicates = results.Sum(r => r.Duplicates),
            NearDuplicates = results.Sum(r => r.NearDuplicates),
            NearDuplicatePairs = [.. results.SelectMany(r => r.Pairs).OrderBy(p => p.ImageId, StringComparer.Ordinal).ThenBy(p => p.OtherImageId, StringComparer.Ordinal)],
            Rejected = Sorted(context.Rejected.Concat(results.SelectMany(r => r.Rejected))),
            Ignored = context.Ignored,
            Warnings = context.Warnings,
            Interrupted = !run.Progress.AllBatchesDone,
        };
    }

    private static List<Rejection> Sorted(IEnumerable<Rejection> rejections) =>
        [.. rejections.OrderBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Reason, StringComparer.Ordinal)];

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId}: staging {Count} files into {Blobs}")]
    private partial void LogStaging(string runId, int count, string blobs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId} finished on the workers: {Added} added, {Duplicates} duplicates, {Rejected} rejected")]
    private partial void LogFinished(string runId, int added, int duplicates, int rejected);
}
