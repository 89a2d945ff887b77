using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Skills;
using Skillmaker.Storage;

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
            await using var services = await WorkspaceServices.OpenAsync(run, ct).ConfigureAwait(false);
            var runs = await WorkspaceStorage.JobLedger(services.Catalog).ListRunsAsync(Math.Max(1, parse.GetValue(limit)), ct).ConfigureAwait(false);
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
            await using var services = await WorkspaceServices.OpenAsync(run, ct).ConfigureAwait(false);
            var dispatcher = await services.OpenJobsAsync(run, ct).ConfigureAwait(false);
            var record = await JobOptions.WaitAsync(run, dispatcher, parse.GetValue(runId)!, "Waiting for workers", ct).ConfigureAwait(false);
            return record switch
            {
                null => ExitCodes.Failed,
                { Kind: IngestJobs.Kind } => IngestCommand.Report(run, IngestJobs.Summarize(record)),
                { Kind: DetectJobs.Kind } => DetectCommand.Report(run, DetectJobs.Summarize(record), JobJson.Read<DetectRunContext>(record.Context, "detect context").Settings, null),
                { Kind: Training.TrainJobs.Kind or Training.EvalJobs.Kind } => Skills(run, record),
                _ => Generic(run, record),
            };
        }));

        return new Command("jobs", "Distributed runs (server mode): list them, wait for one") { list, wait };
    }

    /// <summary>A train or eval run: the version each job trained or evaluated, with its accuracy and where it ran.</summary>
    private static int Skills(CommandRun run, JobRunRecord record)
    {
        var rows = record.Batches.Where(b => b.Result is not null).Select(b =>
        {
            if (record.Kind == Training.TrainJobs.Kind)
            {
                var r = System.Text.Json.JsonSerializer.Deserialize<Training.TrainResult>(b.Result!, SkillJson.Options)!;
                return (Skill: r.Package.Name, r.Package.Version, r.Evaluation.Accuracy, Machine: r.TrainedOn ?? "?");
            }
            var e = System.Text.Json.JsonSerializer.Deserialize<Evaluation.EvaluationSummary>(b.Result!, SkillJson.Options)!;
            return (e.Skill, e.Version, e.Accuracy, e.Machine);
        }).ToList();
        if (run.IsJson)
        {
            run.WriteJson(new { runId = record.RunId, kind = record.Kind, finishedAt = record.FinishedAt, skills = rows.Select(r => new { skill = r.Skill, version = r.Version, accuracy = r.Accuracy, machine = r.Machine }) });
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("Skill", "Version", "Top-1", record.Kind == Training.TrainJobs.Kind ? "Trained on" : "Evaluated on");
        foreach (var r in rows) table.AddRow(Markup.Escape(r.Skill), r.Version.ToString(CultureInfo.InvariantCulture), TrainCommands.P(r.Accuracy), Markup.Escape(r.Machine));
        run.Console.WriteLine($"{record.Kind} run {record.RunId} finished:");
        run.Console.Write(table);
        if (record.Kind == Training.TrainJobs.Kind) run.Console.WriteLine("The packages are in the shared skill store: skillmaker skills list");
        return ExitCodes.Ok;
    }

    private static int Generic(CommandRun run, JobRunRecord record)
    {
        if (run.IsJson) run.WriteJson(new { runId = record.RunId, kind = record.Kind, items = record.Progress.Items, finishedAt = record.FinishedAt });
        else run.Console.WriteLine($"{record.Kind} run {record.RunId} finished: {record.Progress.Items} items in {record.Progress.Batches} jobs.");
        return ExitCodes.Ok;
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
