using System.CommandLine;
using Skillmaker.Common;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Ingest;
using Skillmaker.Sources;
using Skillmaker.Host;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker ingest PATH... --source NAME</c> or <c>ingest --urls FILE --source NAME</c>:
/// brings photos into the workspace, from local files or downloaded.</summary>
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
        var manifestRoots = new Option<string[]>("--manifest-root")
        {
            Description = "A folder manifest paths may point into besides the manifest's own folder. Repeatable",
            HelpName = "DIR",
            AllowMultipleArgumentsPerToken = false,
        };
        var urls = new Option<string[]>("--urls", "-u")
        {
            Description = "Download the images of a URL list (one URL per line, or a CSV with columns url, set_id, label, date_taken). Repeatable",
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = false,
        };
        var web = new WebOptions(forCrawl: false);
        var command = new Command("ingest", "Add photos from folders, files, CSV manifests or URL lists to the catalog and blob store")
        {
            paths, source, labels, sets, manifests, manifestRoots, urls, web.Allow, web.AllowPrivate, web.Refresh,
        };
        var jobs = new JobOptions();
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var request = new IngestRequest
            {
                Paths = [.. (parse.GetValue(paths) ?? []).Select(run.ResolvePath)],
                Manifests = [.. (parse.GetValue(manifests) ?? []).Select(run.ResolvePath)],
                ManifestRoots = [.. (parse.GetValue(manifestRoots) ?? []).Select(run.ResolvePath)],
                Source = parse.GetValue(source)!,
                LabelsFromFolders = parse.GetValue(labels),
                SetsFromFolders = parse.GetValue(sets),
            };
            var urlLists = (parse.GetValue(urls) ?? []).Select(run.ResolvePath).ToList();
            if (urlLists.Count > 0 && (request.Paths.Count > 0 || request.Manifests.Count > 0))
                throw new UsageException("give either PATHs and --manifest files, or --urls lists, not both in one run");
            if (urlLists.Count == 0 && web.IsUsed(parse))
                throw new UsageException("--allow, --allow-private and --refresh apply to --urls downloads only");
            if (request.Paths.Count == 0 && request.Manifests.Count == 0 && urlLists.Count == 0)
                throw new UsageException("nothing to ingest: give at least one PATH, --manifest FILE.csv or --urls FILE");
            try
            {
                IngestPlanner.ValidateSourceName(request.Source);
            }
            catch (Common.SkillmakerException ex)
            {
                throw new UsageException(ex.Message);
            }

            await using var line = await run.OpenLineAsync(ct);
            if (urlLists.Count > 0)
            {
                var download = new UrlIngestRequest
                {
                    UrlLists = urlLists,
                    Source = request.Source,
                    Allow = web.AllowedHosts(parse),
                    AllowPrivate = parse.GetValue(web.AllowPrivate),
                    Refresh = parse.GetValue(web.Refresh),
                };
                // On workers the job carries the lists' text; the downloads and their guards run on the worker.
                return jobs.OnWorkers(parse, line.Workspace)
                    ? await DownloadOnWorkersAsync(run, line, download, jobs.Detached(parse), ct)
                    : await DownloadAsync(run, line, download, ct);
            }
            if (jobs.OnWorkers(parse, line.Workspace))
                return await OnWorkersAsync(run, line, request, jobs.Detached(parse), ct);
            var ingest = line.Ingest();
            var summary = await run.WithProgressAsync("Ingesting", progress =>
                ingest.RunAsync(request, progress.Map((IngestProgress p) => (p.Completed, p.Total)), ct));
            return Report(run, summary);
        }));
        return command;
    }

    /// <summary>Stages the files into the blob store, submits batch jobs and (unless detached) waits for them.</summary>
    private static async Task<int> OnWorkersAsync(CommandRun run, LineServices line, IngestRequest request, bool detach, CancellationToken ct)
    {
        var dispatcher = await line.OpenJobsAsync(ct);
        var jobs = line.IngestJobs();
        var submitted = await run.WithProgressAsync("Staging", progress =>
            jobs.SubmitAsync(request, Jobs.WorkspaceRef.Of(line.Workspace), dispatcher, progress.Map((IngestProgress p) => (p.Completed, p.Total)), ct));
        if (detach) return JobOptions.WriteDetached(run, IngestJobs.Kind, submitted.RunId, submitted.Progress);
        var record = await JobOptions.WaitAsync(run, dispatcher, submitted.RunId, "Ingesting on workers", ct);
        return record is null ? ExitCodes.Failed : Report(run, IngestJobs.Summarize(record));
    }

    /// <summary>Prints a file run's summary (JSON or tables); the exit code says whether it completed.</summary>
    public static int Report(CommandRun run, IngestSummary summary)
    {
        if (run.IsJson)
            run.WriteJson(IngestJson.Of(summary, ("ignored", summary.Ignored)));
        else
            IngestOutput.Render(run, summary, [("ignored (not an image extension)", summary.Ignored)]);
        return summary.Interrupted ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> DownloadAsync(CommandRun run, LineServices line, UrlIngestRequest request, CancellationToken ct)
    {
        var downloads = line.UrlIngest();
        var result = await run.WithProgressAsync("Downloading", progress =>
            downloads.RunAsync(request, progress.Map((IngestProgress p) => (p.Completed, p.Total)), ct));
        return ReportDownloads(run, result);
    }

    /// <summary>Submits the download as one job and (unless detached) waits for it.</summary>
    private static async Task<int> DownloadOnWorkersAsync(CommandRun run, LineServices line, UrlIngestRequest request, bool detach, CancellationToken ct)
    {
        var dispatcher = await line.OpenJobsAsync(ct);
        var submitted = await line.UrlsJobs().SubmitAsync(request, Jobs.WorkspaceRef.Of(line.Workspace), dispatcher, ct);
        if (detach) return JobOptions.WriteDetached(run, UrlsJobs.Kind, submitted.RunId, submitted.Progress);
        var record = await JobOptions.WaitAsync(run, dispatcher, submitted.RunId, "Downloading on a worker", ct);
        return record is null ? ExitCodes.Failed : ReportDownloads(run, UrlsJobs.Summarize(record)!);
    }

    /// <summary>Prints a URL run's summary; the exit code says whether it completed.</summary>
    public static int ReportDownloads(CommandRun run, UrlIngestSummary result)
    {
        var summary = result.Ingest;
        if (run.IsJson)
            run.WriteJson(IngestJson.Of(summary, ("alreadyDone", result.AlreadyDone), ("repeated", result.Repeated)));
        else
            IngestOutput.Render(run, summary, [("already done by an earlier run (skipped)", result.AlreadyDone), ("listed again (counted once)", result.Repeated)]);
        return summary.Interrupted ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
