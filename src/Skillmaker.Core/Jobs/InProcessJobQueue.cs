using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Jobs;

/// <summary>The job queue of a workspace without a job server (local mode): batches run in this process, one at
/// a time in the order they were enqueued, through the same <see cref="BatchWorker"/>, handlers and ledger that
/// workers use. Job states live in memory, so a job enqueued before a restart is <see cref="JobState.Unknown"/>
/// afterwards (its run stays unfinished in the ledger and can be submitted again). No retries: a job that throws
/// is <see cref="JobState.Failed"/> with the exception's message.</summary>
public sealed partial class InProcessJobQueue : IJobQueue, IAsyncDisposable
{
    private readonly BatchWorker _worker;
    private readonly ILogger<InProcessJobQueue> _logger;
    private readonly Channel<(string JobId, JobBatch Batch)> _waiting = Channel.CreateUnbounded<(string, JobBatch)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, JobStatus> _states = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _next;

    public InProcessJobQueue(BatchWorker worker, ILogger<InProcessJobQueue> logger)
    {
        _worker = worker;
        _logger = logger;
        _loop = Task.Run(RunAllAsync);
    }

    public string Location => "in-process (this server)";

    public Task<string> EnqueueAsync(string queue, JobBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var id = "local-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        _states[id] = new JobStatus(JobState.Waiting);
        if (!_waiting.Writer.TryWrite((id, batch)))
        {
            _states[id] = new JobStatus(JobState.Deleted, "the server is stopping");
            throw new Common.SkillmakerException($"{batch}: not enqueued, the server is stopping.");
        }
        return Task.FromResult(id);
    }

    public Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(_states.TryGetValue(jobId, out var state) ? state : new JobStatus(JobState.Unknown));

    private async Task RunAllAsync()
    {
        try
        {
            await foreach (var (id, batch) in _waiting.Reader.ReadAllAsync(_stop.Token))
            {
                _states[id] = new JobStatus(JobState.Running);
                try
                {
                    await _worker.RunAsync(batch, _stop.Token);
                    _states[id] = new JobStatus(JobState.Succeeded);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    _states[id] = new JobStatus(JobState.Deleted, "the server stopped before the job finished");
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    _states[id] = new JobStatus(JobState.Failed, ex.Message);
                    LogFailed(batch, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _waiting.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        await _worker.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batch} failed in this process: {Reason}")]
    private partial void LogFailed(JobBatch batch, string reason);
}
