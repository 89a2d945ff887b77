using Spectre.Console;
using System.CommandLine;
using Skillmaker.Cli.Infrastructure;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker status</c>: where the workspace is and what it holds.</summary>
public static class StatusCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var command = new Command("status", "Show the workspace, its engines and catalog counts");
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var counts = await line.Catalog.CountAsync(ct);
            var version = await line.Catalog.GetSchemaVersionAsync(ct);
            var runs = await line.Catalog.ListIngestRunsAsync(ct);
            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    workspace = line.Workspace.Root,
                    catalog = line.Catalog.Location,
                    schemaVersion = version,
                    blobs = line.Blobs.Location,
                    codeVersion = CliApp.Version,
                    counts,
                    ingestRuns = runs.Select(r => new { r.RunId, r.Source, r.Status, r.StartedAt, r.FinishedAt, r.Added, r.Duplicates, r.NearDuplicates, rejected = r.Rejected.Count }),
                });
                return ExitCodes.Ok;
            }
            run.Console.WriteLine($"Workspace  {line.Workspace.Root}");
            run.Console.WriteLine($"Catalog    {line.Catalog.Location} (schema v{version})");
            run.Console.WriteLine($"Blobs      {line.Blobs.Location}");
            run.Console.WriteLine($"Images     {counts.Originals} originals, {counts.Crops} crops, {counts.Occurrences} occurrences");
            run.Console.WriteLine($"Near-dups  {counts.NearDuplicateLinks} links in {counts.NearDuplicateClusters} clusters");
            run.Console.WriteLine($"Ingest runs {runs.Count}: {string.Join(", ", runs.TakeLast(5).Select(r => $"{r.RunId} {r.Status.ToString().ToLowerInvariant()} +{r.Added}"))}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
