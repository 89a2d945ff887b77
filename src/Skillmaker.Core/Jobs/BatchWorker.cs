using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Jobs;

/// <summary>Runs batches on a worker, whatever the job engine: opens the batch's workspace (once per
/// workspace and process), skips a batch that already has its result, records the result, and finishes
/// the run when its last batch is done.</summary>
public sealed partial class BatchWorker(
    Func<WorkspaceRef, CancellationToken, Task<IJobEnvironment>> open,
    TimeProvider time,
    ILogger<BatchWorker> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<WorkspaceRef, Lazy<Task<IJobEnvironment>>> _environments = new();

    public async Task RunAsync(JobBatch batch, CancellationToken cancellationToken)
    {
        var environment = await EnvironmentAsync(batch.Workspace, cancellationToken);
        var ledger = environment.Ledger;
        var handler = environment.Handler(batch.Kind);
        var started = time.GetTimestamp();
        if (await ledger.IsBatchDoneAsync(batch.RunId, batch.Index, cancellationToken))
        {
            // Its worker died after the result was recorded but before the engine heard of it.
            LogAlreadyDone(batch);
        }
        else
        {
            LogBatchStarted(batch);
            var context = await ledger.GetContextAsync(batch.RunId, cancellationToken)
                ?? throw new Common.SkillmakerException($"{batch}: run {batch.RunId} is not in the job ledger of {batch.Workspace.Root}; was the catalog changed since the run was submitted?");
            var result = await handler.RunAsync(batch, context, cancellationToken);
            await ledger.CompleteBatchAsync(new BatchCompletion(batch.RunId, batch.Index, result, time.GetUtcNow()), cancellationToken);
            var seconds = time.GetElapsedTime(started).TotalSeconds;
            LogBatchDone(batch, seconds);
        }

        var progress = await ledger.GetProgressAsync(batch.RunId, cancellationToken);
        if (progress is { AllBatchesDone: true, Finished: false } && await ledger.GetRunAsync(batch.RunId, withResults: true, cancellationToken) is { } run)
        {
            await handler.FinishAsync(run, cancellationToken);
            await ledger.MarkFinishedAsync(batch.RunId, time.GetUtcNow(), cancellationToken);
            LogRunFinished(batch.Kind, batch.RunId);
        }
    }

    private async Task<IJobEnvironment> EnvironmentAsync(WorkspaceRef workspace, CancellationToken cancellationToken)
    {
        var lazy = _environments.GetOrAdd(workspace, w => new Lazy<Task<IJobEnvironment>>(() => open(w, CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A database that was down must be tried again by the retry, not remembered as broken.
            _environments.TryRemove(KeyValuePair.Create(workspace, lazy));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _environments.Values.Where(l => l.IsValueCreated))
        {
            if (lazy.Value.IsCompletedSuccessfully) await lazy.Value.Result.DisposeAsync();
        }
        _environments.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch} started")]
    private partial void LogBatchStarted(JobBatch batch);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch} done in {Seconds:0.0} s")]
    private partial void LogBatchDone(JobBatch batch, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch} already has its result; not run again")]
    private partial void LogAlreadyDone(JobBatch batch);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} run {RunId} finished")]
    private partial void LogRunFinished(string kind, string runId);
}
