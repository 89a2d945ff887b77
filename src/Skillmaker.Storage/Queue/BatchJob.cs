using Hangfire;
using Microsoft.Extensions.Logging;
using Skillmaker.Jobs;

namespace Skillmaker.Storage.Queue;

/// <summary>The one Hangfire job type: runs a <see cref="JobBatch"/> through the worker's <see cref="BatchWorker"/>.
/// Its arguments are the batch only (workspace, run, item paths or ids), so any worker can take it.</summary>
public sealed partial class BatchJob(BatchWorker worker, ILogger<BatchJob> logger)
{
    // Retries come from the worker's jobs settings (see WorkerServer), not from an attribute.
    [JobDisplayName("{0}")]
    public async Task RunAsync(JobBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await worker.RunAsync(batch, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(batch, ex.Message);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batch} failed: {Reason}")]
    private partial void LogFailed(JobBatch batch, string reason);
}
