using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Ingest;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker ingest PATH... --source NAME</c>: brings photos into the workspace.</summary>
public static class IngestCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Image files and folders (walked recursively)", Arity = ArgumentArity.ZeroOrMore };
        var source = new Option<string>("--source", "-s") { Description = "Name of the source, e.g. staff-phones (letters, digits, '.', '_', '-')", Required = true, HelpName = "NAME" };
        var labels = new Option<bool>("--labels-from-folders") { Description = "Record each file's parent folder name as its label hint (provenance: source)" };
        var sets = new Option<bool>("--sets-from-folders") { Description = "Photos in one folder are one set (the same vehicle)" };
        var manifests = new Option<string[]>("--manifest", "-m")
        {
            Description = "CSV manifest with columns path (required), set_id, label, date_taken, source; paths relative to the CSV. Repeatable",
            HelpName = "FILE.csv",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("ingest", "Add photos from folders, files and CSV manifests to the catalog and blob store")
        {
            paths, source, labels, sets, manifests,
        };
        var jobs = new JobOptions();
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var request = new IngestRequest
            {
                Paths = [.. (parse.GetValue(paths) ?? []).Select(run.ResolvePath)],
                Manifests = [.. (parse.GetValue(manifests) ?? []).Select(run.ResolvePath)],
                Source = parse.GetValue(source)!,
                LabelsFromFolders = parse.GetValue(labels),
                SetsFromFolders = parse.GetValue(sets),
            };
            if (request.Paths.Count == 0 && request.Manifests.Count == 0)
                throw new UsageException("nothing to ingest: give at least one PATH or --manifest FILE.csv");
            try
            {
                IngestPlanner.ValidateSourceName(request.Source, "--source");
            }
            catch (Common.SkillmakerException ex)
            {
                throw new UsageException(ex.Message);
            }

            await using var services = await WorkspaceServices.OpenAsync(run, ct).ConfigureAwait(false);
            if (jobs.OnWorkers(parse, services.Workspace))
                return await OnWorkersAsync(run, services, request, jobs.Detached(parse), ct).ConfigureAwait(false);
            var ingest = services.CreateIngest(run);
            var summary = await run.WithProgressAsync("Ingesting", progress =>
                ingest.RunAsync(request, new Progress(progress), ct)).ConfigureAwait(false);
            return Report(run, summary);
        }));
        return command;
    }

    /// <summary>Stages the files into the blob store, submits batch jobs and (unless detached) waits for them.</summary>
    private static async Task<int> OnWorkersAsync(CommandRun run, WorkspaceServices services, IngestRequest request, bool detach, CancellationToken ct)
    {
        var dispatcher = await services.OpenJobsAsync(run, ct).ConfigureAwait(false);
        var jobs = new IngestJobs(services.Catalog, services.Blobs, new Vision.Imaging.SkiaImageProbe(), services.Workspace.Config.Ingest, run.Time, run.Logging.CreateLogger<IngestJobs>());
        var submitted = await run.WithProgressAsync("Staging", progress =>
            jobs.SubmitAsync(request, Jobs.WorkspaceRef.Of(services.Workspace), dispatcher, new Progress(progress), ct)).ConfigureAwait(false);
        if (detach) return JobOptions.WriteDetached(run, IngestJobs.Kind, submitted.RunId, submitted.Progress);
        var record = await JobOptions.WaitAsync(run, dispatcher, submitted.RunId, "Ingesting on workers", ct).ConfigureAwait(false);
        return record is null ? ExitCodes.Failed : Report(run, IngestJobs.Summarize(record));
    }

    /// <summary>Prints the run's summary (JSON or tables); the exit code says whether it completed.</summary>
    public static int Report(CommandRun run, IngestSummary summary)
    {
        if (run.IsJson)
            run.WriteJson(new
            {
                added = summary.Added,
                duplicates = summary.Duplicates,
                nearDuplicates = summary.NearDuplicates,
                rejected = summary.Rejected.Select(r => new { path = r.Path, reason = r.Reason, code = r.Code }),
                ignored = summary.Ignored,
                interrupted = summary.Interrupted,
                runId = summary.RunId,
                nearDuplicatePairs = summary.NearDuplicatePairs,
                warnings = summary.Warnings,
            });
        else
            Render(run, summary);
        return summary.Interrupted ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static void Render(CommandRun run, IngestSummary summary)
    {
        var table = new Table().AddColumn("Result").AddColumn(new TableColumn("Files").RightAligned());
        table.AddRow("added", summary.Added.ToString());
        table.AddRow("duplicates (bytes already known)", summary.Duplicates.ToString());
        table.AddRow("near-duplicates (linked)", summary.NearDuplicates.ToString());
        table.AddRow("rejected", summary.Rejected.Count.ToString());
        table.AddRow("ignored (not an image extension)", summary.Ignored.ToString());
        run.Console.Write(table);
        foreach (var r in summary.Rejected)
            run.Console.MarkupLineInterpolated($"[yellow]rejected[/] {r.Path}: {r.Reason}");
        foreach (var w in summary.Warnings)
            run.Console.MarkupLineInterpolated($"[yellow]warning[/] {w}");
        if (summary.Interrupted)
            run.Console.MarkupLine("[red]Interrupted.[/] Everything recorded is complete; run the same command again to finish.");
        run.Console.WriteLine($"Run {summary.RunId}");
    }

    private sealed class Progress(IProgress<(int Done, int Total)> inner) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => inner.Report((value.Completed, value.Total));
    }
}
