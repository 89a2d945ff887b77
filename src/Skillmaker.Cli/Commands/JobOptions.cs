using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Jobs;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Commands;

/// <summary>The options and the submit-then-wait flow that every command splittable into batch jobs shares.</summary>
/// <param name="detachable">Whether the command may return at once (<c>--detach</c>): not when it goes on
/// with the results itself, as training does with embeddings.</param>
public sealed class JobOptions(bool detachable = true)
{
    public Option<bool> Local { get; } = new("--local") { Description = "Run in this process even when the workspace config has a jobs section" };

    public Option<bool> Detach { get; } = new("--detach") { Description = "With a jobs section: submit the jobs and return at once; follow them with skillmaker jobs wait RUN" };

    public void AddTo(Command command)
    {
        command.Options.Add(Local);
        if (detachable) command.Options.Add(Detach);
    }

    /// <summary>True when the work goes to workers: the workspace is in server mode and --local is not given.</summary>
    public bool OnWorkers(ParseResult parse, Workspace workspace)
    {
        var onWorkers = workspace.Config.Jobs is { ServerMode: true } && !parse.GetValue(Local);
        if (!onWorkers && Detached(parse))
            throw new UsageException(parse.GetValue(Local) ? "--detach and --local exclude each other: --detach leaves the work to workers."
                : $"--detach needs workers: set jobs.storage in {workspace.ConfigPath} (see docs/scale-out.md).");
        return onWorkers;
    }

    public bool Detached(ParseResult parse) => detachable && parse.GetValue(Detach);

    /// <summary>Says where the submitted run is and how to follow it.</summary>
    public static int WriteDetached(CommandRun run, string kind, string runId, JobRunProgress progress)
    {
        if (run.IsJson) run.WriteJson(new { runId, kind, batches = progress.Batches, items = progress.Items, detached = true, finished = progress.Finished });
        else
        {
            run.Console.WriteLine($"Submitted {kind} run {runId}: {progress.Items} items in {progress.Batches} jobs.");
            run.Console.WriteLine($"Follow it with: skillmaker jobs wait {runId}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Shows progress until the run is finished; null when the user stopped waiting (Ctrl-C): the
    /// jobs go on on the workers.</summary>
    public static Task<JobRunRecord?> WaitAsync(CommandRun run, JobDispatcher dispatcher, string runId, string title, CancellationToken cancellationToken, bool announce = true) =>
        StopWaitingOnCancelAsync(run, runId, () => run.WithProgressAsync(title, progress => dispatcher.WaitAsync(runId, progress, cancellationToken)), cancellationToken, announce);

    /// <summary>Runs <paramref name="wait"/>; when the user stops waiting (Ctrl-C), says that the jobs go on and
    /// how to follow them, and returns null.</summary>
    /// <param name="announce">Whether to say the run id before waiting (on stderr, so --json stays clean): whatever
    /// stops this command later (Ctrl-C, a lost database, a closed terminal), the run can be followed with it.</param>
    public static async Task<T?> StopWaitingOnCancelAsync<T>(CommandRun run, string runId, Func<Task<T>> wait, CancellationToken cancellationToken, bool announce = true) where T : class
    {
        if (announce) run.Host.Error.WriteLine($"Submitted run {runId}; if this command stops, follow it with: skillmaker jobs wait {runId}");
        try
        {
            return await wait();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var message = $"stopped waiting; the jobs of run {runId} go on on the workers. Follow them with: skillmaker jobs wait {runId}";
            if (run.IsJson) run.WriteJson(new { runId, interrupted = true, error = new { message, exitCode = ExitCodes.Failed } });
            run.Host.Error.WriteLine($"note: {message}");
            return null;
        }
    }
}
