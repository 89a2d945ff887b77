using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Crowd;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker crowd ...</c>: queue crops, estimate cost, MTurk files, consolidate.</summary>
public static class CrowdCommand
{
    /// <summary>Default hourly rate for estimates (currency of your choice).</summary>
    public const double DefaultHourlyRate = 15.0;
    /// <summary>Seconds per task assumed until answers have been measured.</summary>
    public const double DefaultSecondsPerTask = 20.0;

    public static Command Create(CliHost host, GlobalOptions options)
    {
        var command = new Command("crowd", "Crowd labelling: queue crops, estimate cost, MTurk export/import, consolidate answers");
        foreach (var sub in new[] { Queue(host, options), Gold(host, options), Status(host, options), Cost(host, options), Export(host, options), Import(host, options), Consolidate(host, options) })
            command.Subcommands.Add(sub);
        return command;
    }

    private static Option<int?> OverlapOption(string description) => new("--overlap") { Description = description, HelpName = "N" };

    private static Command Queue(CliHost host, GlobalOptions options)
    {
        var overlap = OverlapOption("Distinct workers per task (default 3)");
        var command = new Command("queue", "Queue every crop that was never queued as a crowd task") { overlap };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var crowd = line.Crowd();
            var added = await crowd.EnqueueAllCropsAsync(parse.GetValue(overlap), ct);
            var counts = await crowd.CountAsync(ct);
            if (run.IsJson) run.WriteJson(new { queued = added, counts });
            else run.Console.WriteLine($"Queued {added} crops; {counts.OpenTasks} open tasks need {counts.AssignmentsLeft} more answers.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Gold(CliHost host, GlobalOptions options)
    {
        var crop = new Argument<string>("CROP") { Description = "Crop image id (or unique prefix)" };
        var content = new Option<string>("--content") { Description = $"Known content: {string.Join(", ", CrowdQuestions.Content.Select(o => o.Value))}", Required = true };
        var quality = new Option<string>("--quality") { Description = $"Known quality: {string.Join(", ", CrowdQuestions.Quality.Select(o => o.Value))}", Required = true };
        var command = new Command("gold", "Make a crop a gold task with a known answer; workers are scored on gold tasks") { crop, content, quality };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var prefix = parse.GetValue(crop)!;
            var ids = await line.Catalog.FindImageIdsByPrefixAsync(prefix, 2, ct);
            if (ids.Count != 1) throw new SkillmakerException(ids.Count == 0 ? $"No image with id {prefix}." : $"Image id prefix {prefix} is ambiguous; give more characters.");
            var task = await line.Crowd().SetGoldAsync(ids[0], parse.GetValue(content)!, parse.GetValue(quality)!, ct);
            if (run.IsJson) run.WriteJson(new { task = task.PublicId, imageId = task.ImageId, task.GoldContent, task.GoldQuality });
            else run.Console.WriteLine($"{task.PublicId} is a gold task: {task.GoldContent}, {task.GoldQuality}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Status(CliHost host, GlobalOptions options)
    {
        var command = new Command("status", "Queue counts and each worker's score on gold tasks");
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var crowd = line.Crowd();
            var counts = await crowd.CountAsync(ct);
            var workers = await crowd.ScoreWorkersAsync(ct);
            if (run.IsJson) { run.WriteJson(new { counts, workers }); return ExitCodes.Ok; }
            run.Console.WriteLine($"{counts.OpenTasks} open tasks ({counts.AssignmentsLeft} answers to go), {counts.GoldTasks} gold, {counts.Answers} answers, {counts.ConsolidatedTasks} consolidated.");
            var table = new Table().AddColumns("Worker", "Answers", "Gold answered", "Gold content ok", "Gold quality ok");
            foreach (var w in workers)
                table.AddRow(TerminalText.Escape(w.Worker), w.Answers.ToString(), w.GoldAnswers.ToString(), Pct(w.GoldContentAccuracy), Pct(w.GoldQualityAccuracy));
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Cost(CliHost host, GlobalOptions options)
    {
        var seconds = new Option<double?>("--seconds-per-task") { Description = $"Seconds one answer takes (default: trimmed median of measured answers per channel, speeders left out, else {DefaultSecondsPerTask})", HelpName = "S" };
        var rate = new Option<double>("--hourly-rate") { Description = $"Pay per worker hour (default {DefaultHourlyRate})", HelpName = "R", DefaultValueFactory = _ => DefaultHourlyRate };
        var overlap = OverlapOption("Workers per task for the estimate (default: each task's own overlap)");
        var command = new Command("cost", "Estimate money and hours for the queued crowd work") { seconds, rate, overlap };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var estimate = await line.Crowd().EstimateCostAsync(parse.GetValue(seconds), parse.GetValue(rate), parse.GetValue(overlap), DefaultSecondsPerTask, ct);
            if (run.IsJson) { run.WriteJson(estimate); return ExitCodes.Ok; }
            run.Console.WriteLine($"{estimate.OpenTasks} open tasks, {estimate.AssignmentsLeft} answers to go, at {estimate.HourlyRate:0.##} per worker hour:");
            var table = new Table().AddColumns("Channel", "s / answer", "Basis", "Worker hours", "Worker pay", "Platform fee", "Total");
            foreach (var c in estimate.Channels)
                table.AddRow(c.Name, $"{c.SecondsPerTask:0.#}", TerminalText.Escape(c.SecondsBasis), $"{c.Hours:0.##}", $"{c.WorkerPay:0.##}", $"{c.PlatformFee:0.##}", $"{c.Total:0.##}");
            run.Console.Write(table);
            run.Console.WriteLine("Assumptions:");
            foreach (var line2 in estimate.Assumptions) run.Console.WriteLine($"  - {line2}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Export(CliHost host, GlobalOptions options)
    {
        var format = new Option<string>("--format") { Description = "Export format (mturk)", Required = true };
        format.AcceptOnlyFromAmong("mturk");
        var output = new Option<string>("--out") { Description = "Folder for input.csv and question.html", Required = true, HelpName = "DIR" };
        var baseUrl = new Option<string>("--base-url") { Description = "Public address of `skillmaker serve` (default http://127.0.0.1:5080)", HelpName = "URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var hours = new Option<double>("--expires-hours") { Description = "How long the signed image links work (default 72)", HelpName = "H", DefaultValueFactory = _ => 72 };
        var command = new Command("export", "Write an MTurk batch (input CSV with signed, expiring crop links + HTML question layout)") { format, output, baseUrl, hours };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var batches = await line.MTurkBatchesAsync(ct);
            var validFor = parse.GetValue(hours);
            var export = await batches.ExportAsync(run.ResolvePath(parse.GetValue(output)!), parse.GetValue(baseUrl)!, TimeSpan.FromHours(validFor), ct);
            if (run.IsJson)
                run.WriteJson(new { tasks = export.Tasks, input = export.InputCsv, files = export.Files, layout = export.Layout, linksExpire = export.LinksExpire, skipped = export.Skipped });
            else
            {
                run.Console.WriteLine($"Wrote {export.Tasks} tasks and the layout to {export.Layout}; image links expire in {validFor:0.#} h. " +
                    $"{export.Skipped} open tasks were left out (gold, or all their answers are in).");
                foreach (var f in export.Files)
                    run.Console.WriteLine($"  {f.InputCsv}: {f.Tasks} tasks; publish with {f.Assignments} assignment{(f.Assignments == 1 ? "" : "s")} per task");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Import(CliHost host, GlobalOptions options)
    {
        var file = new Argument<string>("RESULTS.csv") { Description = "MTurk batch results CSV (AssignmentId, WorkerId, Input.task_id and Answer.taskAnswers, Answer.content.<option> columns, or Answer.content/Answer.quality)" };
        var command = new Command("import", "Import MTurk batch results; all or nothing, answers already imported are skipped") { file };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var import = await (await line.MTurkBatchesAsync(ct)).ImportAsync(run.ResolvePath(parse.GetValue(file)!), ct);
            if (run.IsJson) run.WriteJson(new { recorded = import.Recorded, duplicates = import.Duplicates, refused = import.Refused, rows = import.Rows.Where(r => r.Outcome != "recorded") });
            else
            {
                run.Console.WriteLine($"Recorded {import.Recorded} answers; {import.Duplicates} were already recorded and were skipped; {import.Refused} were refused or left out.");
                foreach (var r in import.Rows.Where(r => r.Outcome is "refused" or "left out"))
                    run.Console.WriteLine($"  line {r.Line}: assignment {r.AssignmentId} by {r.WorkerId} on {r.TaskId}: {r.Outcome}, {r.Reason}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Consolidate(CliHost host, GlobalOptions options)
    {
        var method = new Option<string>("--method")
        {
            Description = "weighted-majority (votes weighted by gold accuracy; default, fewest wrong labels in the simulation), majority (ties end unsure) or dawid-skene (learns each worker's confusion where workers have 20+ answers)",
            DefaultValueFactory = _ => "weighted-majority",
        };
        method.AcceptOnlyFromAmong("weighted-majority", "majority", "dawid-skene");
        var command = new Command("consolidate", "Turn complete tasks' answers into one answer per crop; unsure ones go back to the queue or to the expert") { method };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var m = parse.GetValue(method) switch
            {
                "majority" => ConsolidationMethod.Majority,
                "dawid-skene" => ConsolidationMethod.DawidSkene,
                _ => ConsolidationMethod.WeightedMajority,
            };
            var results = await line.Crowd().ConsolidateAsync(m, ct);
            var summary = results.GroupBy(r => r.Outcome).ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count());
            if (run.IsJson)
            {
                run.WriteJson(new { method = parse.GetValue(method), consolidated = results.Count, outcomes = summary, results });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Crop", "Content", "Conf.", "Quality", "Conf.", "Answers", "Outcome");
            foreach (var r in results)
                table.AddRow(r.ImageId[..12], r.Content, $"{r.ContentConfidence:0.00}", r.Quality, $"{r.QualityConfidence:0.00}", r.Answers.ToString(), r.Outcome.ToString().ToLowerInvariant());
            run.Console.Write(table);
            run.Console.WriteLine($"{results.Count} tasks consolidated with {parse.GetValue(method)}: {string.Join(", ", summary.Select(kv => $"{kv.Value} {kv.Key}"))}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Pct(double? value) => value is { } v ? $"{v:P0}" : "-";
}
