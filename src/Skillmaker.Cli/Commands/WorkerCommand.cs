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
        var storage = new Option<string?>("--storage") { Description = "Job queue location postgres://user@host[:port]/database[?schema=hangfire] (default: jobs.storage of the workspace config)", HelpName = "LOCATION" };
        var queues = new Option<string?>("--queues") { Description = $"Comma-separated queues to take jobs from, first first (default: {string.Join(",", WorkerOptions.AllQueues)})", HelpName = "LIST" };
        var workers = new Option<int>("--workers") { Description = "Jobs run at once (default 2; each job already uses every core)", HelpName = "N", DefaultValueFactory = _ => 2 };
        workers.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 256) r.AddError("--workers must be 1..256"); });
        var name = new Option<string?>("--name") { Description = "Name shown in the dashboard (default host:pid)", HelpName = "NAME" };
        var cache = new Option<string?>("--cache") { Description = "Folder for models fetched from the blob store and embeddings computed here (default: the temp folder's skillmaker-models)", HelpName = "DIR" };
        var attempts = new Option<int>("--connect-attempts") { Description = "Tries to reach PostgreSQL at start, waiting 1, 2, 4 ... 30 s between them (default 10)", HelpName = "N", DefaultValueFactory = _ => 10 };
        var command = new Command("worker", "Run batch jobs from the job queue (server mode) until Ctrl-C; start one per machine, as many as you like")
        {
            storage, queues, workers, name, cache, attempts,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var queueList = parse.GetValue(queues) is { } q ? q.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [.. WorkerOptions.AllQueues];
            if (queueList.Length == 0 || queueList.Any(x => !System.Text.RegularExpressions.Regex.IsMatch(x, "^[a-z0-9_-]+$")))
                throw new UsageException($"--queues '{parse.GetValue(queues)}': expected queue names of lower-case letters, digits, '_' and '-', e.g. {string.Join(",", WorkerOptions.AllQueues)}.");
            var (location, settings) = await LocateAsync(run, parse.GetValue(storage), ct);

            // A worker logs what it does: it has no other output while it runs.
            using var loggers = LoggerFactory.Create(b => b
                .SetMinimumLevel(parse.GetValue(options.Verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled; })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var jobs = await HangfireQueue.OpenAsync(location, settings, parse.GetValue(attempts),
                (attempt, delay, reason) => run.Host.Error.WriteLine($"PostgreSQL at {Storage.Postgres.PostgresLocation.RedactPassword(location)} is not reachable ({reason}); attempt {attempt} of {parse.GetValue(attempts)}, next in {delay.TotalSeconds:0} s"),
                ct);
            var cacheDirectory = parse.GetValue(cache) is { } c ? run.ResolvePath(c) : null;
            var context = run.LineContext with { Logging = loggers, CacheDirectory = cacheDirectory };
            await using var worker = new BatchWorker((workspace, token) => WorkerJobEnvironment.OpenAsync(workspace, context, token), run.Time, loggers.CreateLogger<BatchWorker>());
            var workerOptions = new WorkerOptions { Queues = queueList, Workers = parse.GetValue(workers), RetryDelaysSeconds = settings.RetryDelaysSeconds };
            if (parse.GetValue(name) is { } n) workerOptions = workerOptions with { Name = n };
            if (run.IsJson) run.WriteJson(new { worker = workerOptions.Name, queues = workerOptions.Queues, workers = workerOptions.Workers, storage = jobs.Location });
            else run.Console.WriteLine($"Worker {workerOptions.Name} takes jobs from queues {string.Join(", ", workerOptions.Queues)} at {jobs.Location} ({workerOptions.Workers} at once); Ctrl-C stops.");
            await WorkerServer.RunAsync(jobs, worker, workerOptions, loggers, ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The queue from --storage, else from the workspace; the workspace's jobs settings when there is one.</summary>
    private static async Task<(string Location, JobsSettings Settings)> LocateAsync(CommandRun run, string? storage, CancellationToken ct)
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
        var settings = (configured ?? new JobsSettings()) with { Storage = location };
        try
        {
            return (location, settings.Validated("--storage"));
        }
        catch (SkillmakerException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
