using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;
using Npgsql;
using Skillmaker.Common;
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

    private HangfireQueue(PostgreSqlStorage storage, string location, JobsSettings settings)
    {
        Storage = storage;
        Location = location;
        Settings = settings;
        _client = new BackgroundJobClient(storage);
    }

    public PostgreSqlStorage Storage { get; }

    public string Location { get; }

    /// <summary>The jobs settings in force: the shared ones recorded beside the queue (see <see cref="OpenAsync"/>).</summary>
    public JobsSettings Settings { get; }

    /// <summary>Connects (retrying with doubling delays while the server is down or starting, see
    /// <paramref name="onRetry"/>) and creates Hangfire's tables when they are missing. The jobs settings every
    /// machine must share (invisibility timeout, retry delays, poll interval) are kept beside the queue:
    /// a <see cref="QueueRole.Submitter"/> (init, a command submitting jobs) records its workspace's
    /// <paramref name="settings"/> there; a <see cref="QueueRole.Worker"/> uses the recorded ones, so its own
    /// config (or none) cannot disagree with the workspace's. <see cref="Settings"/> says which apply.</summary>
    public static async Task<HangfireQueue> OpenAsync(string location, JobsSettings? settings, QueueRole role, int connectAttempts,
        Action<int, TimeSpan, string>? onRetry, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        var builder = PostgresLocation.Parse(location, environment);
        var schema = PostgresLocation.Schema(builder, DefaultSchema);
        var where = PostgresLocation.Describe(builder, schema);
        // Hangfire names its schema in every statement; a search path would only hide mistakes.
        builder.SearchPath = null;
        await using var dataSource = NpgsqlDataSource.Create(builder);
        await using var connection = await PostgresLocation.OpenAsync(dataSource, where, connectAttempts, TimeSpan.FromSeconds(1), onRetry, TimeProvider.System, cancellationToken);
        // Workers starting together must not both create the tables; the lock ends with the connection.
        await using (var install = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended(@name, 0))", connection))
        {
            install.Parameters.AddWithValue("name", $"skillmaker-hangfire-install:{schema}");
            await install.ExecuteNonQueryAsync(cancellationToken);
        }
        var effective = await SharedSettingsAsync(connection, schema, role == QueueRole.Submitter ? settings : null, cancellationToken)
            ?? settings ?? new JobsSettings();
        effective = effective with { Storage = Credentials.WithoutPassword(location) };
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = schema,
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = effective.PollInterval,
            InvisibilityTimeout = effective.InvisibilityTimeout,
            // The worker's heartbeat: a live worker renews its job every fifth of the timeout, so a short
            // timeout only shortens the wait for a dead one.
            UseSlidingInvisibilityTimeout = true,
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(builder.ConnectionString, options, null), options);
        return new HangfireQueue(storage, where, effective);
    }

    /// <summary>Records <paramref name="publish"/> as the shared settings (when given) and returns the
    /// recorded ones (null when none were ever recorded).</summary>
    private static async Task<JobsSettings?> SharedSettingsAsync(NpgsqlConnection connection, string schema, JobsSettings? publish, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {schema}.skillmaker_settings (name text PRIMARY KEY, value text NOT NULL)", connection))
            await create.ExecuteNonQueryAsync(cancellationToken);
        if (publish is not null)
        {
            await using var upsert = new NpgsqlCommand($"INSERT INTO {schema}.skillmaker_settings (name, value) VALUES ('jobs', @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value", connection);
            upsert.Parameters.AddWithValue("value", JobJson.Write(publish with { Storage = null }));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
            return publish;
        }
        await using var read = new NpgsqlCommand($"SELECT value FROM {schema}.skillmaker_settings WHERE name = 'jobs'", connection);
        return await read.ExecuteScalarAsync(cancellationToken) is string json ? JobJson.Read<JobsSettings>(json, "shared jobs settings").Validated($"jobs settings recorded in {schema}.skillmaker_settings") : null;
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

/// <summary>How a process uses the queue: whose jobs settings apply (see <see cref="HangfireQueue.OpenAsync"/>).</summary>
public enum QueueRole
{
    /// <summary>Submits jobs for its workspace and records that workspace's jobs settings as the shared ones.</summary>
    Submitter,

    /// <summary>Takes jobs (or shows them) with the shared settings recorded by the submitters.</summary>
    Worker,
}
