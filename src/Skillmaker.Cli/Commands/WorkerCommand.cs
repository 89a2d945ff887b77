using System.CommandLine;
using Spectre.Console;
using Microsoft.Extensions.Logging;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Host;
using Skillmaker.Storage.Queue;
using Skillmaker.Workers;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker worker</c>: takes batch jobs (ingest, detect, ...) from the job queue until Ctrl-C.</summary>
public static class WorkerCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var storage = new Option<string?>("--storage") { Description = "Job queue location postgres://user@host[:port]/database[?schema=hangfire] (default: $SKILLMAKER_QUEUE, the worker config's storage, jobs.storage of the workspace config)", HelpName = "LOCATION" };
        var queues = new Option<string?>("--queues") { Description = $"Comma-separated queues to take jobs from, first first (default: $SKILLMAKER_WORKER_QUEUES, else {string.Join(",", WorkerOptions.AllQueues)})", HelpName = "LIST" };
        var workers = new Option<int?>("--workers") { Description = "Jobs run at once (default 2; each job already uses every core unless --threads)", HelpName = "N" };
        var threads = new Option<int?>("--threads") { Description = "Threads each job uses on this machine: detector.threads and ingest.parallelism of every job (default: $SKILLMAKER_WORKER_THREADS, else the workspace's)", HelpName = "N" };
        var name = new Option<string?>("--name") { Description = "Name shown in the dashboard and the logs (default: $SKILLMAKER_WORKER_NAME, else host:pid)", HelpName = "NAME" };
        var cache = new Option<string?>("--cache") { Description = "Folder for models fetched from the blob store and embeddings computed here (default: $SKILLMAKER_WORKER_CACHE, else the temp folder's skillmaker-models)", HelpName = "DIR" };
        var pgHost = new Option<string?>("--postgres-host") { Description = "host[:port] this machine reaches PostgreSQL at, replacing the host each job names (default: $SKILLMAKER_WORKER_POSTGRES_HOST)", HelpName = "HOST" };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "S3 endpoint URL this machine reaches the blob store at, replacing the job's s3.endpoint (default: $SKILLMAKER_WORKER_S3_ENDPOINT)", HelpName = "URL" };
        var configFile = new Option<string?>("--config") { Description = "This machine's worker settings as JSON: storage, queues, workers, threads, name, cache, postgresHost, s3Endpoint (default: $SKILLMAKER_WORKER_CONFIG); flags and environment win", HelpName = "FILE" };
        var attempts = new Option<int>("--connect-attempts") { Description = "Tries to reach PostgreSQL at start, waiting 1, 2, 4 ... 30 s between them (default 10)", HelpName = "N", DefaultValueFactory = _ => 10 };
        var command = new Command("worker", "Run batch jobs from the job queue (server mode) until Ctrl-C; start one per machine, as many as you like")
        {
            storage, queues, workers, threads, name, cache, pgHost, s3Endpoint, configFile, attempts,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var env = run.EnvironmentWithCredentials;
            var filePath = parse.GetValue(configFile) ?? (env("SKILLMAKER_WORKER_CONFIG") is { Length: > 0 } f ? f : null);
            var file = filePath is null ? new WorkerConfigFile() : ReadConfig(run.ResolvePath(filePath));
            string? Pick(Option<string?> option, string variable, string? fromFile) => parse.GetValue(option) ?? (env(variable) is { Length: > 0 } v ? v : null) ?? fromFile;
            int? PickInt(Option<int?> option, string variable, int? fromFile) => parse.GetValue(option)
                ?? (env(variable) is { Length: > 0 } v ? int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"${variable} is '{v}'; expected a whole number.") : (int?)null) ?? fromFile;

            var queueText = Pick(queues, "SKILLMAKER_WORKER_QUEUES", file.Queues is { } fq ? string.Join(",", fq) : null);
            var queueList = queueText is { } q ? q.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [.. WorkerOptions.AllQueues];
            if (queueList.Length == 0 || queueList.Any(x => !System.Text.RegularExpressions.Regex.IsMatch(x, "^[a-z0-9_-]+$")))
                throw new UsageException($"--queues '{queueText}': expected queue names of lower-case letters, digits, '_' and '-', e.g. {string.Join(",", WorkerOptions.AllQueues)}.");
            var jobsAtOnce = PickInt(workers, "SKILLMAKER_WORKER_JOBS", file.Workers) ?? 2;
            if (jobsAtOnce is < 1 or > 256) throw new UsageException($"--workers is {jobsAtOnce}; expected 1..256.");
            var overrides = new WorkerOverrides
            {
                Threads = PickInt(threads, "SKILLMAKER_WORKER_THREADS", file.Threads),
                PostgresHost = Pick(pgHost, "SKILLMAKER_WORKER_POSTGRES_HOST", file.PostgresHost),
                S3Endpoint = Pick(s3Endpoint, "SKILLMAKER_WORKER_S3_ENDPOINT", file.S3Endpoint),
            }.Validated();
            var (location, settings) = await LocateAsync(run, Pick(storage, "SKILLMAKER_QUEUE", file.Storage), ct);
            if (overrides.PostgresHost is { } ph) location = WorkerOverrides.WithHost(location, ph);

            // A worker logs what it does: it has no other output while it runs.
            using var loggers = LoggerFactory.Create(b => b
                .SetMinimumLevel(parse.GetValue(options.Verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled; })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            // The queue's shared settings (invisibility timeout, retries, polling) apply, not this machine's.
            var jobs = await HangfireQueue.OpenAsync(location, settings, QueueRole.Worker, parse.GetValue(attempts),
                (attempt, delay, reason) => run.Host.Error.WriteLine($"PostgreSQL at {Storage.Postgres.PostgresLocation.RedactPassword(location)} is not reachable ({reason}); attempt {attempt} of {parse.GetValue(attempts)}, next in {delay.TotalSeconds:0} s"),
                env, ct);
            var cacheDirectory = Pick(cache, "SKILLMAKER_WORKER_CACHE", file.Cache) is { } c ? run.ResolvePath(c) : null;
            var context = run.LineContext with { Logging = loggers, CacheDirectory = cacheDirectory };
            await using var worker = new BatchWorker((workspace, token) => WorkerJobEnvironment.OpenAsync(workspace, context, overrides, token), run.Time, loggers.CreateLogger<BatchWorker>());
            var workerOptions = new WorkerOptions { Queues = queueList, Workers = jobsAtOnce, RetryDelaysSeconds = jobs.Settings.RetryDelaysSeconds };
            if (Pick(name, "SKILLMAKER_WORKER_NAME", file.Name) is { } n) workerOptions = workerOptions with { Name = n };
            var timeout = jobs.Settings.InvisibilityTimeoutSeconds;
            if (run.IsJson) run.WriteJson(new { worker = workerOptions.Name, queues = workerOptions.Queues, workers = workerOptions.Workers, storage = jobs.Location, threads = overrides.Threads, invisibilityTimeoutSeconds = timeout });
            else run.Console.WriteLine($"Worker {workerOptions.Name} takes jobs from queues {string.Join(", ", workerOptions.Queues)} at {jobs.Location} ({workerOptions.Workers} at once{(overrides.Threads is { } t ? $", {t} threads each" : "")}; a job of a dead worker returns after {timeout} s); Ctrl-C stops.");
            await WorkerServer.RunAsync(jobs, worker, workerOptions, loggers, ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A worker's own settings file (<c>--config</c>); every field optional.</summary>
    private sealed record WorkerConfigFile
    {
        public string? Storage { get; init; }
        public IReadOnlyList<string>? Queues { get; init; }
        public int? Workers { get; init; }
        public int? Threads { get; init; }
        public string? Name { get; init; }
        public string? Cache { get; init; }
        public string? PostgresHost { get; init; }
        public string? S3Endpoint { get; init; }
    }

    private static WorkerConfigFile ReadConfig(string path)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<WorkerConfigFile>(File.ReadAllText(path), Workspaces.WorkspaceJson.Options)
                ?? throw new SkillmakerException($"Worker config {path} is empty; expected a JSON object (storage, queues, workers, threads, name, cache, postgresHost, s3Endpoint).");
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or IOException)
        {
            throw new SkillmakerException($"Worker config {path} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>The queue from --storage, else from the workspace; the workspace's jobs settings when there is one.</summary>
    private static async Task<(string Location, JobsSettings? Settings)> LocateAsync(CommandRun run, string? storage, CancellationToken ct)
    {
        JobsSettings? configured = null;
        string? configPath = null;
        try
        {
            var workspace = await run.OpenWorkspaceAsync(ct);
            configured = workspace.Config.Jobs;
            configPath = workspace.ConfigPath;
        }
        catch (SkillmakerException) when (storage is not null)
        {
            // A worker serves any workspace whose jobs it finds; it needs none of its own.
        }
        var location = storage ?? configured?.Storage
            ?? throw new UsageException($"no job queue: pass --storage postgres://user@host/database or set jobs.storage in {configPath}.");
        try
        {
            return (location, ((configured ?? new JobsSettings()) with { Storage = location }).Validated("--storage"));
        }
        catch (SkillmakerException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
