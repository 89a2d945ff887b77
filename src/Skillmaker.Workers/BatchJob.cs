using Hangfire;
using Microsoft.Extensions.Logging;
using Skillmaker.Jobs;

namespace Skillmaker.Workers;

/// <summary>The one Hangfire job type: runs a <see cref="JobBatch"/> through the worker's <see cref="BatchWorker"/>.
/// Its arguments are the batch only (workspace, run, item paths or ids), so any worker can take it.</summary>
public sealed partial class BatchJob(BatchWorker worker, ILogger<BatchJob> logger)
{
    /// <summary>Attempts after the first before a job is failed for good: enough for a database or S3
    /// blip, few enough that a real fault reaches the waiting command within a minute.</summary>
    public const int Retries = 3;

    [AutomaticRetry(Attempts = Retries, DelaysInSeconds = [2, 10, 30], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("{0}")]
    public async Task RunAsync(JobBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await worker.RunAsync(batch, cancellationToken).ConfigureAwait(false);
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
