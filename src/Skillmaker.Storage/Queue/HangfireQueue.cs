using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;
using Npgsql;
using Skillmaker.Jobs;
using Skillmaker.Storage.Postgres;

namespace Skillmaker.Storage.Queue;

/// <summary>Hangfire's storage in PostgreSQL, as <c>jobs.storage</c> names it; the queue commands enqueue
/// on and workers take jobs from.</summary>
public sealed class HangfireQueue : IJobQueue
{
    /// <summary>Hangfire's tables go into this schema unless the location names one.</summary>
    public const string DefaultSchema = "hangfire";

    private readonly BackgroundJobClient _client;

    private HangfireQueue(PostgreSqlStorage storage, string location)
    {
        Storage = storage;
        Location = location;
        _client = new BackgroundJobClient(storage);
    }

    public PostgreSqlStorage Storage { get; }

    public string Location { get; }

    /// <summary>Connects (retrying with doubling delays while the server is down or starting, see
    /// <paramref name="onRetry"/>) and creates Hangfire's tables when they are missing.</summary>
    public static async Task<HangfireQueue> OpenAsync(string location, JobsSettings settings, int connectAttempts, Action<int, TimeSpan, string>? onRetry, CancellationToken cancellationToken)
    {
        var builder = PostgresLocation.Parse(location);
        var schema = PostgresLocation.Schema(builder, DefaultSchema);
        var where = PostgresLocation.Describe(builder, schema);
        // Hangfire names its schema in every statement; a search path would only hide mistakes.
        builder.SearchPath = null;
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = schema,
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = settings.PollInterval,
            InvisibilityTimeout = settings.InvisibilityTimeout,
            // A live worker keeps renewing its jobs, so a short timeout only shortens the wait for a dead one.
            UseSlidingInvisibilityTimeout = true,
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        await using var dataSource = NpgsqlDataSource.Create(builder);
        await using var connection = await PostgresLocation.OpenAsync(dataSource, where, connectAttempts, TimeSpan.FromSeconds(1), onRetry, TimeProvider.System, cancellationToken);
        // Workers starting together must not both create the tables; the lock ends with the connection.
        await using (var install = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended(@name, 0))", connection))
        {
            install.Parameters.AddWithValue("name", $"skillmaker-hangfire-install:{schema}");
            await install.ExecuteNonQueryAsync(cancellationToken);
        }
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(builder.ConnectionString, options, null), options);
        return new HangfireQueue(storage, where);
    }

    public Task<string> EnqueueAsync(string queue, JobBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var job = Hangfire.Common.Job.FromExpression<BatchJob>(j => j.RunAsync(batch, CancellationToken.None), queue);
        return Task.FromResult(_client.Create(job, new EnqueuedState(queue)));
    }

    public Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Storage.GetConnection();
        var state = connection.GetStateData(jobId);
        return Task.FromResult(state?.Name switch
        {
            null => new JobStatus(JobState.Unknown),
            "Enqueued" or "Scheduled" or "Awaiting" => new JobStatus(JobState.Waiting, state.Reason),
            "Processing" => new JobStatus(JobState.Running),
            "Succeeded" => new JobStatus(JobState.Succeeded),
            "Failed" => new JobStatus(JobState.Failed, state.Data.TryGetValue("ExceptionMessage", out var message) ? message : state.Reason),
            "Deleted" => new JobStatus(JobState.Deleted, state.Reason),
            _ => new JobStatus(JobState.Unknown, state.Name),
        });
    }
}
