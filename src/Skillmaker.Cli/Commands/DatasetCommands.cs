using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Datasets;

namespace Skillmaker.Cli.Commands;

/// <summary><c>extract DEF.json</c>, <c>splits audit</c>, <c>manifests list|show</c>.</summary>
public static class DatasetCommands
{
    public static Command Extract(CliHost host, GlobalOptions options)
    {
        var definition = new Argument<string>("DEF.json") { Description = "Dataset definition (see docs/datasets.md)" };
        var fraction = new Option<double?>("--test-fraction") { Description = "Target test share for new groups, in [0,1) (default: the definition's testFraction, else 0.2; 0 trains on every new group). Earlier test groups stay test", HelpName = "F" };
        var accept = new Option<bool>("--accept-new-classes") { Description = "With classesFromLabels: accept labels that became classes since this definition's previous manifest (otherwise the extract refuses and names them)" };
        var command = new Command("extract", "Build an immutable dataset manifest with sticky, group-aware train/test splits") { definition, fraction, accept };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            if (parse.GetValue(fraction) is { } f && !(f >= 0 && f < 1))
                throw new UsageException($"--test-fraction {f} is outside [0, 1); e.g. 0.2, or 0 for every new group in train");
            var def = await DatasetDefinitionLoader.LoadAsync(run.ResolvePath(parse.GetValue(definition)!), ct);
            await using var line = await run.OpenLineAsync(ct);
            var result = await line.Datasets().ExtractAsync(def, parse.GetValue(fraction), parse.GetValue(accept), ct);
            var m = result.Manifest;
            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    manifestId = m.Id,
                    created = result.Created,
                    name = m.Name,
                    json = result.JsonPath,
                    csv = result.CsvPath,
                    items = m.Items.Count,
                    train = m.Items.Count(i => i.Split == Split.Train),
                    test = m.Items.Count(i => i.Split == Split.Test),
                    classes = m.Classes,
                    countsBefore = m.CountsBefore,
                    countsAfter = m.CountsAfter,
                    droppedClasses = m.DroppedClasses,
                    classWeights = m.ClassWeights,
                    excluded = m.Excluded,
                    movedToTest = result.MovedToTest,
                    addedClasses = result.AddedClasses,
                    backgroundCropsAwaitingLabel = result.BackgroundCropsAwaitingLabel,
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Class", "Train (before)", "Test (before)", "Train (after)", "Test (after)");
            var after = m.CountsAfter.ToDictionary(c => c.Class);
            foreach (var b in m.CountsBefore)
                table.AddRow(TerminalText.Escape(b.Class), b.Train.ToString(), b.Test.ToString(),
                    after.TryGetValue(b.Class, out var a) ? a.Train.ToString() : "[yellow]dropped[/]", after.TryGetValue(b.Class, out a) ? a.Test.ToString() : "");
            run.Console.Write(table);
            foreach (var d in m.DroppedClasses) run.Console.SafeMarkupLine($"[yellow]dropped[/] class {d.Class}: {d.Reason}");
            foreach (var (reason, count) in m.Excluded) run.Console.WriteLine($"excluded {count}: {reason}");
            if (result.AddedClasses.Count > 0) run.Console.WriteLine($"accepted {result.AddedClasses.Count} new class(es): {string.Join(", ", result.AddedClasses)}");
            if (result.BackgroundCropsAwaitingLabel > 0)
                run.Console.WriteLine($"{result.BackgroundCropsAwaitingLabel} crops of labelled photos are background vehicles: the photo's label is not theirs; the crowd or a reviewer labels them (backgroundCrops: crowd)");
            if (result.MovedToTest.Count > 0) run.Console.WriteLine($"{result.MovedToTest.Count} groups moved from train to test (they joined a test group).");
            run.Console.WriteLine($"Manifest {m.Id} ({(result.Created ? "new" : "unchanged, already extracted")}): {m.Items.Count} items, {m.Items.Count(i => i.Split == Split.Test)} test");
            run.Console.WriteLine($"  {result.JsonPath}\n  {result.CsvPath}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Splits(CliHost host, GlobalOptions options)
    {
        var audit = new Command("audit", "Prove the splits leak nothing: groups and near-duplicates on one side, test stays test. Exit 1 if any check fails");
        audit.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var audit = await run.WithProgressAsync("Auditing splits", async p =>
            {
                var audited = (await line.Datasets().AuditSplitsAsync(ct), await line.Evaluation().VersionsTrainedOnTestItemsAsync(ct));
                p.Report((1, 1));
                return audited;
            });
            var (report, affected) = audit;
            if (run.IsJson)
                run.WriteJson(new { passed = report.Passed, manifests = report.Manifests, ledgerEntries = report.LedgerEntries, checks = report.Checks, versionsTrainedOnTestItems = affected });
            else
            {
                foreach (var check in report.Checks)
                {
                    run.Console.MarkupLine($"{(check.Passed ? "[green]PASS[/]" : "[red]FAIL[/]")} {TerminalText.Escape(check.Name)}: {TerminalText.Escape(check.Description)}");
                    foreach (var o in check.Offending) run.Console.WriteLine($"    {o}");
                }
                foreach (var a in affected)
                    run.Console.WriteLine($"NOTE {a.Skill} v{a.Version} trained on {a.Images.Count} photo(s) that are test items now (in {string.Join(", ", a.TestIn.Select(m => m[..12]))}): " +
                        $"{string.Join(", ", a.Images.Take(5).Select(i => i[..12]))}{(a.Images.Count > 5 ? ", …" : "")}; its scores there are inflated (promote leaves them out)");
                run.Console.WriteLine($"{report.Manifests} manifests, {report.LedgerEntries} ledger entries audited.");
            }
            return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        var command = new Command("splits", "Inspect and audit the sticky train/test splits");
        command.Subcommands.Add(audit);
        return command;
    }

    public static Command Manifests(CliHost host, GlobalOptions options)
    {
        var list = new Command("list", "List dataset manifests, oldest first");
        list.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var manifests = await line.DatasetStore.ListManifestsAsync(ct);
            if (run.IsJson) { run.WriteJson(new { manifests }); return ExitCodes.Ok; }
            var table = new Table().AddColumns("Id", "Name", "Created", "Items", "Train", "Test", "Classes");
            foreach (var m in manifests)
                table.AddRow(m.Id[..12], TerminalText.Escape(m.Name), m.CreatedAt.ToString("u"), m.Items.ToString(), m.Train.ToString(), m.Test.ToString(), m.Classes.ToString());
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));
        var id = new Argument<string>("ID") { Description = "Manifest id or unique prefix" };
        var show = new Command("show", "Print a manifest (JSON)") { id };
        show.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var manifest = await line.DatasetStore.GetManifestAsync(parse.GetValue(id)!, ct)
                ?? throw new Common.SkillmakerException($"No manifest with id {parse.GetValue(id)} in {line.Catalog.Location}; see `skillmaker manifests list`.");
            run.Host.Out.WriteLine(manifest.ToJson());
            return ExitCodes.Ok;
        }));
        var command = new Command("manifests", "List and show dataset manifests");
        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        return command;
    }
}
