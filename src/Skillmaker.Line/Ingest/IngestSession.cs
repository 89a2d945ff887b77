using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Ingest;

/// <summary>One ingest run, fed with bytes by whoever read them (local files, downloads, a crawl).
/// Every item goes through the same checks and the same catalog write: hashed, probed, its blob stored
/// atomically, then recorded by one writer, one transaction per item. Thread-safe: items may be
/// submitted in parallel. Finish with <see cref="FinishAsync"/>; disposing an unfinished session records
/// the run as failed.</summary>
public sealed partial class IngestSession : IAsyncDisposable
{
    // Enough to keep the writer busy while bounding memory to a handful of items in flight.
    private const int WriteQueueCapacity = 16;

    private readonly ICatalog _catalog;
    private readonly IBlobStore _blobs;
    private readonly IImageProbe _probe;
    private readonly IngestSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IProgress<IngestProgress>? _progress;
    private readonly int _total;
    private readonly DateTimeOffset _startedAt;
    private readonly List<(string ImageId, ulong PerceptualHash)> _known;
    private readonly ConcurrentDictionary<string, byte> _knownIds;
    private readonly ConcurrentBag<Rejection> _rejected = [];
    private readonly List<NearDuplicatePair> _pairs = [];
    private readonly Channel<QueuedWrite> _queue = Channel.CreateBounded<QueuedWrite>(new BoundedChannelOptions(WriteQueueCapacity) { SingleReader = true });
    private readonly Task _writer;
    private int _added, _duplicates, _nearDuplicates, _completed;
    private bool _interrupted, _finished;

    private IngestSession(ICatalog catalog, IBlobStore blobs, IImageProbe probe, IngestSettings settings, TimeProvider time, ILogger logger,
        string runId, string source, DateTimeOffset startedAt, IReadOnlyList<(string ImageId, ulong PerceptualHash)> known, int total, IProgress<IngestProgress>? progress)
    {
        _catalog = catalog;
        _blobs = blobs;
        _probe = probe;
        _settings = settings;
        _time = time;
        _logger = logger;
        RunId = runId;
        Source = source;
        _startedAt = startedAt;
        _known = [.. known];
        _knownIds = new ConcurrentDictionary<string, byte>(known.Select(k => KeyValuePair.Create(k.ImageId, (byte)0)));
        _total = total;
        _progress = progress;
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    public string RunId { get; }
    public string Source { get; }

    /// <summary>The kind of <see cref="RunLeases"/> entry an ingest run leaves while it runs.</summary>
    public const string LeaseKind = "ingest";

    private IDisposable? _lease;

    /// <param name="inputs">What the run reads (paths, URL lists, a start URL), recorded with the run.</param>
    /// <param name="total">Items expected, for progress; 0 when unknown.</param>
    /// <param name="leaseKind">The kind of lease the run leaves (<see cref="LeaseKind"/>, or a crawl's or URL
    /// download's, whose crawl state records the same run).</param>
    internal static async Task<IngestSession> StartAsync(ICatalog catalog, IBlobStore blobs, IImageProbe probe, IngestSettings settings, TimeProvider time, ILogger logger,
        string source, IReadOnlyList<string> inputs, int total, IProgress<IngestProgress>? progress, CancellationToken cancellationToken, RunLeases? leases = null,
        string leaseKind = LeaseKind)
    {
        IngestPlanner.ValidateSourceName(source);
        var startedAt = time.GetUtcNow();
        var runId = IngestService.NewRunId(time);
        await catalog.StartIngestRunAsync(new IngestRun(runId, source, startedAt, inputs), cancellationToken);
        // Until the run is recorded finished: who runs it, so a crash's `running` run can be told from a live one.
        var lease = leases?.Take(leaseKind, runId);
        var known = await catalog.GetPerceptualHashesAsync(ImageKind.Original, cancellationToken);
        var session = new IngestSession(catalog, blobs, probe, settings, time, logger, runId, source, startedAt, known, total, progress) { _lease = lease };
        LogRunStarted(logger, runId, total, source);
        return session;
    }

    /// <summary>Checks and stores <paramref name="bytes"/> and queues their catalog record. Returns once
    /// the item is queued (so callers feel back-pressure); the returned task completes when the record is
    /// written. The caller may keep or drop the buffer once this returns.</summary>
    public async ValueTask<Task<IngestItemOutcome>> EnqueueAsync(IngestItem item, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(item, bytes, cancellationToken);
        if (prepared.Rejection is { } reason) return Task.FromResult(Reject(item.Path, reason));
        var queued = new QueuedWrite(prepared.Write!, new TaskCompletionSource<IngestItemOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _queue.Writer.WriteAsync(queued, cancellationToken);
        }
        catch (ChannelClosedException) when (_writer.IsFaulted)
        {
            await _writer; // surfaces the writer's own error, e.g. the catalog's
            throw;
        }
        return queued.Outcome.Task;
    }

    /// <summary><see cref="EnqueueAsync"/> and wait for the record.</summary>
    public async Task<IngestItemOutcome> IngestAsync(IngestItem item, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await (await EnqueueAsync(item, bytes, cancellationToken));

    /// <summary>Records that an item could not be read (missing file, failed download).</summary>
    public IngestItemOutcome Reject(string path, RejectReason reason)
    {
        _rejected.Add(new Rejection(path, reason.Message, reason.Code));
        LogRejected(_logger, path, reason.Message);
        Completed(path);
        return new IngestItemOutcome(path, IngestItemStatus.Rejected, null, reason);
    }

    /// <summary>Rejections found before reading (a bad manifest row); they do not count as progress.</summary>
    internal void AddPlanRejections(IEnumerable<Rejection> rejections)
    {
        foreach (var r in rejections) _rejected.Add(r);
    }

    /// <summary>The run was cancelled: what is queued is still recorded, and the run is marked so.</summary>
    public void MarkInterrupted() => _interrupted = true;

    public async Task<IngestSummary> FinishAsync(int ignored = 0, IReadOnlyList<string>? warnings = null)
    {
        _queue.Writer.TryComplete();
        await _writer;
        _finished = true;
        var summary = new IngestSummary
        {
            RunId = RunId,
            Source = Source,
            Added = _added,
            Duplicates = _duplicates,
            NearDuplicates = _nearDuplicates,
            NearDuplicatePairs = [.. _pairs.OrderBy(p => p.ImageId, StringComparer.Ordinal).ThenBy(p => p.OtherImageId, StringComparer.Ordinal)],
            Rejected = [.. _rejected.OrderBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Reason, StringComparer.Ordinal)],
            Ignored = ignored,
            Warnings = warnings ?? [],
            Interrupted = _interrupted,
        };
        await RecordRunAsync(_interrupted ? IngestRunStatus.Interrupted : IngestRunStatus.Completed, summary.Rejected);
        _lease?.Dispose();
        LogRunFinished(_logger, RunId, _added, _duplicates, summary.Rejected.Count, _interrupted);
        return summary;
    }

    public async ValueTask DisposeAsync()
    {
        if (_finished) return;
        _finished = true;
        _queue.Writer.TryComplete();
        try
        {
            await _writer;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The caller is already unwinding with the error that matters.
            LogWriterFailed(_logger, RunId, ex.Message);
        }
        try
        {
            await RecordRunAsync(IngestRunStatus.Failed, [.. _rejected]);
            _lease?.Dispose();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWriterFailed(_logger, RunId, ex.Message);
        }
    }

    private Task RecordRunAsync(IngestRunStatus status, IReadOnlyList<Rejection> rejected) =>
        _catalog.FinishIngestRunAsync(new IngestRunResult
        {
            RunId = RunId,
            Source = Source,
            StartedAt = _startedAt,
            FinishedAt = _time.GetUtcNow(),
            Status = status,
            Added = _added,
            Duplicates = _duplicates,
            NearDuplicates = _nearDuplicates,
            Rejected = rejected,
        }, CancellationToken.None);

    private async Task WriteLoopAsync()
    {
        try
        {
            // Writes go on after cancellation for what is already queued: those blobs are stored and
            // their records are cheap, so finishing them leaves less for the re-run.
            await foreach (var (write, outcome) in _queue.Reader.ReadAllAsync(CancellationToken.None))
            {
                try
                {
                    outcome.SetResult(await RecordAsync(write));
                }
                catch (Exception ex)
                {
                    outcome.SetException(ex);
                    throw;
                }
                Completed(write.Occurrence.OriginalPath);
            }
        }
        catch (Exception ex)
        {
            // Producers waiting for room must not wait forever for a writer that is gone.
            _queue.Writer.TryComplete(ex);
            while (_queue.Reader.TryRead(out var orphan)) orphan.Outcome.TrySetException(ex);
            throw;
        }
    }

    private async Task<IngestItemOutcome> RecordAsync(IngestWrite write)
    {
        var toWrite = write;
        if (write.NewImage is { } image && !_knownIds.ContainsKey(image.Id))
            toWrite = write with { NearDuplicates = NearDuplicates.Find(image, _known, _settings.NearDuplicateMaxDistance) };
        var result = await _catalog.RecordIngestAsync(toWrite, CancellationToken.None);
        if (result.Outcome != IngestWriteOutcome.Added)
        {
            _duplicates++;
            return new IngestItemOutcome(write.Occurrence.OriginalPath, IngestItemStatus.Duplicate, write.ImageId, null);
        }
        _added++;
        _known.Add((write.ImageId, write.NewImage!.PerceptualHash));
        _knownIds.TryAdd(write.ImageId, 0);
        if (toWrite.NearDuplicates.Count > 0)
        {
            _nearDuplicates++;
            _pairs.AddRange(toWrite.NearDuplicates.Select(l => new NearDuplicatePair(l.ImageId, l.OtherImageId, l.Distance)));
            LogNearDuplicate(_logger, write.Occurrence.OriginalPath, toWrite.NearDuplicates[0].OtherImageId, toWrite.NearDuplicates[0].Distance);
        }
        return new IngestItemOutcome(write.Occurrence.OriginalPath, IngestItemStatus.Added, write.ImageId, null);
    }

    private void Completed(string path) =>
        _progress?.Report(new IngestProgress(Interlocked.Increment(ref _completed), _total, path));

    private sealed record QueuedWrite(IngestWrite Write, TaskCompletionSource<IngestItemOutcome> Outcome);

    private async Task<PreparedWrite> PrepareAsync(IngestItem item, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (IngestWrites.LabelRefusal(item) is { } badLabel) return new(null, badLabel);
        if (bytes.Length == 0) return new(null, new RejectReason(RejectCode.Empty, "empty file (0 bytes)"));
        if (bytes.Length > _settings.MaxFileBytes)
            return new(null, new RejectReason(RejectCode.TooLarge, $"file is {bytes.Length:N0} bytes, over the limit of {_settings.MaxFileBytes:N0} (ingest.maxFileBytes)"));

        var id = Sha256Hex.Of(bytes.Span);
        var now = _time.GetUtcNow();

        // Known bytes need no decoding: only the new occurrence and what it says are recorded.
        if (_knownIds.ContainsKey(id))
        {
            // A crash between a blob write and its catalog record can only lose the blob's flush, never
            // the record; restore the bytes here so a re-run heals it.
            if (!await _blobs.ExistsAsync(id, ct))
                await _blobs.PutAsync(id, bytes, ct);
            return new(IngestWrites.Known(item, id, RunId, now), null);
        }

        var measured = IngestWrites.Measure(item, bytes.Span, id, RunId, _probe, _settings, now);
        if (measured.Write is not null) await _blobs.PutAsync(id, bytes, ct);
        return measured;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId} started: {Count} items from source {Source}")]
    private static partial void LogRunStarted(ILogger logger, string runId, int count, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest {RunId} finished: {Added} added, {Duplicates} duplicates, {Rejected} rejected, interrupted={Interrupted}")]
    private static partial void LogRunFinished(ILogger logger, string runId, int added, int duplicates, int rejected, bool interrupted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest {RunId} ended without finishing: {Message}")]
    private static partial void LogWriterFailed(ILogger logger, string runId, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Path} is a near-duplicate of {Other} (distance {Distance})")]
    private static partial void LogNearDuplicate(ILogger logger, string path, string other, int distance);
}
