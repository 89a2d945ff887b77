using Hangfire;
using Hangfire.Common;
using Microsoft.Extensions.Logging;
using Skillmaker.Jobs;
using Skillmaker.Storage.Queue;

namespace Skillmaker.Workers;

/// <summary>How a worker process serves jobs.</summary>
public sealed record WorkerOptions
{
    /// <summary>Queues to take jobs from, first queue first. Default: every kind of batch.</summary>
    public IReadOnlyList<string> Queues { get; init; } = AllQueues;

    /// <summary>Jobs run at once. Default 2: one job's reads overlap another's compute; each job already
    /// uses every core (ingest.parallelism, detector.threads).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Waits before each automatic retry of a failed job. Default: <see cref="JobsSettings.RetryDelaysSeconds"/>.</summary>
    public IReadOnlyList<int> RetryDelaysSeconds { get; init; } = new JobsSettings().RetryDelaysSeconds;

    /// <summary>Shown in the dashboard. Default host:pid.</summary>
    public string Name { get; init; } = $"{Environment.MachineName.ToLowerInvariant()}:{Environment.ProcessId}";

    public static IReadOnlyList<string> AllQueues => Host.JobKinds.Queues;
}

/// <summary>A Hangfire server taking batch jobs until stopped. Stopping lets running jobs end (or hands them
/// back to the queue when they do not end in time); a killed process's jobs come back after the
/// invisibility timeout.</summary>
public static class WorkerServer
{
    public static async Task RunAsync(HangfireQueue jobs, BatchWorker worker, WorkerOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = options.Name,
            WorkerCount = options.Workers,
            Queues = [.. options.Queues],
            Activator = new Activator(worker, loggers.CreateLogger<BatchJob>()),
            FilterProvider = Filters(options.RetryDelaysSeconds),
            // Retries are scheduled; look for due ones often so a retried job does not idle.
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            ShutdownTimeout = TimeSpan.FromSeconds(15),
        }, jobs.Storage);
        try
        {
            // Runs until stopped: an endless wait that no clock, real or fake, ends.
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        server.SendStop();
        await server.WaitForShutdownAsync(CancellationToken.None);
    }

    /// <summary>Hangfire's usual filters, with its retry policy (10 attempts over hours) replaced by ours.</summary>
    private static JobFilterProviderCollection Filters(IReadOnlyList<int> retryDelays)
    {
        var filters = new JobFilterCollection();
        foreach (var filter in GlobalJobFilters.Filters.Where(f => f.Instance is not AutomaticRetryAttribute))
            filters.Add(filter.Instance, filter.Order);
        filters.Add(new AutomaticRetryAttribute
        {
            Attempts = retryDelays.Count,
            DelaysInSeconds = [.. retryDelays],
            OnAttemptsExceeded = AttemptsExceededAction.Fail,
        });
        return new JobFilterProviderCollection(filters, new JobFilterAttributeFilterProvider());
    }

    private sealed class Activator(BatchWorker worker, ILogger<BatchJob> logger) : JobActivator
    {
        public override object ActivateJob(Type jobType) => jobType == typeof(BatchJob) ? new BatchJob(worker, logger) : base.ActivateJob(jobType);
    }
}
