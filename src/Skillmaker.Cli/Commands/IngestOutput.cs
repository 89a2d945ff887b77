using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Ingest;

namespace Skillmaker.Cli.Commands;

/// <summary>How an ingest run is shown, whatever fed it (files, URL lists, a crawl).</summary>
internal static class IngestOutput
{
    public static void Render(CommandRun run, IngestSummary summary, IEnumerable<(string Label, int Count)> extra, string unit = "Files")
    {
        var table = new Table().AddColumn("Result").AddColumn(new TableColumn(unit).RightAligned());
        table.AddRow("added", summary.Added.ToString());
        table.AddRow("duplicates (bytes already known)", summary.Duplicates.ToString());
        table.AddRow("near-duplicates (linked)", summary.NearDuplicates.ToString());
        table.AddRow("rejected", summary.Rejected.Count.ToString());
        foreach (var (label, count) in extra) table.AddRow(label, count.ToString());
        run.Console.Write(table);
        foreach (var r in summary.Rejected)
            run.Console.SafeMarkupLine($"[yellow]rejected[/] {r.Path}: {r.Reason}");
        foreach (var w in summary.Warnings)
            run.Console.SafeMarkupLine($"[yellow]warning[/] {w}");
        if (summary.Interrupted)
            run.Console.MarkupLine("[red]Interrupted.[/] Everything recorded is complete; run the same command again to finish.");
        run.Console.WriteLine($"Run {summary.RunId}");
    }
}
