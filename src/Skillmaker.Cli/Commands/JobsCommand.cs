using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Training;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker jobs list|wait</c>: the workspace's distributed runs.</summary>
public static class JobsCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var limit = new Option<int>("--limit") { Description = "How many runs, newest first (default 20)", HelpName = "N", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "Distributed runs, newest first, with their progress") { limit };
        list.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var runs = await line.JobLedger.ListRunsAsync(Math.Max(1, parse.GetValue(limit)), ct);
            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    runs = runs.Select(r => new
                    {
                        runId = r.RunId, kind = r.Kind, createdAt = r.CreatedAt, finishedAt = r.FinishedAt,
                        batches = r.Progress.Batches, batchesDone = r.Progress.BatchesDone, items = r.Progress.Items, itemsDone = r.Progress.ItemsDone,
                    }),
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Run", "Kind", "Submitted (UTC)", "Jobs done", "Items done", "Finished (UTC)");
            foreach (var r in runs)
                table.AddRow(r.RunId, r.Kind, Time(r.CreatedAt), $"{r.Progress.BatchesDone}/{r.Progress.Batches}", $"{r.Progress.ItemsDone}/{r.Progress.Items}", r.FinishedAt is { } f ? Time(f) : "–");
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));

        var runId = new Argument<string>("RUN") { Description = "Run id, as submit printed it (see jobs list)" };
        var wait = new Command("wait", "Show a run's progress until it is finished, then its summary") { runId };
        wait.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var dispatcher = await line.OpenJobsAsync(ct);
            var id = parse.GetValue(runId)!;
            // Train and eval runs end as their commands end: packages fetched, evaluations saved, same summary.
            var kind = (await line.JobLedger.GetRunAsync(id, withResults: false, ct))?.Kind;
            if (kind is not null) run.Host.Error.WriteLine($"Waiting for {kind} run {id}; Ctrl-C stops waiting, not the jobs. A lost database is waited out.");
            if (kind == Training.TrainJobs.Kind)
            {
                var training = line.TrainJobs();
                var trained = await JobOptions.StopWaitingOnCancelAsync(run, id, () => run.WithStagesAsync(p => training.WaitAsync(id, dispatcher, TrainingProgress.AsStages(p), ct)), ct, announce: false);
                return trained is null ? ExitCodes.Failed : TrainOutput.Report(run, trained);
            }
            if (kind == Skillmaker.Evaluation.EvalJobs.Kind)
            {
                var evaluations = line.EvalJobs();
                var evaluated = await JobOptions.StopWaitingOnCancelAsync(run, id, () => run.WithProgressAsync("Waiting for workers", p => evaluations.WaitAsync(id, dispatcher, p, ct)), ct, announce: false);
                return evaluated is null ? ExitCodes.Failed : EvaluationOutput.Report(run, evaluated);
            }
            var record = await JobOptions.WaitAsync(run, dispatcher, id, "Waiting for workers", ct, announce: false);
            return record switch
            {
                null => ExitCodes.Failed,
                { Kind: IngestJobs.Kind } => IngestCommand.Report(run, IngestJobs.Summarize(record)),
                { Kind: Sources.UrlsJobs.Kind } => IngestCommand.ReportDownloads(run, Sources.UrlsJobs.Summarize(record)!),
                { Kind: Sources.CrawlJobs.Kind } => CrawlCommand.Report(run, Sources.CrawlJobs.Summarize(record)!),
                { Kind: DetectJobs.Kind } => DetectCommand.Report(run, DetectJobs.Summarize(record), JobJson.Read<DetectRunContext>(record.Context, "detect context").Settings, null),
                _ => Generic(run, record),
            };
        }));

        return new Command("jobs", "Distributed runs (server mode): list them, wait for one") { list, wait };
    }

    private static int Generic(CommandRun run, JobRunRecord record)
    {
        if (run.IsJson) run.WriteJson(new { runId = record.RunId, kind = record.Kind, items = record.Progress.Items, finishedAt = record.FinishedAt });
        else run.Console.WriteLine($"{record.Kind} run {record.RunId} finished: {record.Progress.Items} items in {record.Progress.Batches} jobs.");
        return ExitCodes.Ok;
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
