using Skillmaker.Datasets;
using Skillmaker.Host;
using Skillmaker.Jobs;
using Skillmaker.Server.Pages.Dashboard;

namespace Skillmaker.Server;

/// <summary>The dashboard's jobs: an extract asked for on a page runs as a job, like the CLI's work in server mode.
/// With a job server (<c>jobs.storage</c>) it goes to the workers' <c>extract</c> queue; otherwise to a queue in
/// this process. Either way the run is in the ledger, the page follows it, and a second click while one extract of
/// the dataset waits or runs joins that run instead of starting another.</summary>
public sealed class DashboardJobs : IAsyncDisposable
{
    private readonly SemaphoreSlim _submit = new(1, 1);
    private InProcessJobQueue? _local;
    private JobDispatcher? _dispatcher;

    /// <summary>The dispatcher over the workspace's queue, opened once.</summary>
    public async Task<JobDispatcher> DispatcherAsync(LineServices line, CancellationToken cancellationToken)
    {
        if (_dispatcher is { } d) return d;
        await _submit.WaitAsync(cancellationToken);
        try
        {
            return _dispatcher ??= await OpenAsync(line, cancellationToken);
        }
        finally
        {
            _submit.Release();
        }
    }

    private async Task<JobDispatcher> OpenAsync(LineServices line, CancellationToken cancellationToken)
    {
        if (line.Workspace.Config.Jobs is { ServerMode: true }) return await line.OpenJobsAsync(cancellationToken);
        _local = line.InProcessJobs();
        return line.Dispatcher(_local);
    }

    /// <summary>Queues an extract of <paramref name="dataset"/> from its newest manifest's definition, or returns the
    /// extract of it that is still waiting or running. Throws naming the problem (unknown dataset, a definition with
    /// errors) before anything is queued.</summary>
    public async Task<(string RunId, bool Joined)> ExtractAsync(LineServices line, string dataset, string who, CancellationToken cancellationToken)
    {
        var jobs = line.ExtractJobs();
        var (item, previous) = await jobs.AgainAsync(dataset, cancellationToken);
        var dispatcher = await DispatcherAsync(line, cancellationToken);
        await _submit.WaitAsync(cancellationToken);
        try
        {
            if (await OpenExtractAsync(line, dispatcher, dataset, cancellationToken) is { } open) return (open, true);
            return (await jobs.SubmitAsync(item, who, previous, dispatcher, WorkspaceRef.Of(line.Workspace), cancellationToken), false);
        }
        finally
        {
            _submit.Release();
        }
    }

    /// <summary>An unfinished extract run of <paramref name="dataset"/> whose job can still finish, or null.</summary>
    private static async Task<string?> OpenExtractAsync(LineServices line, JobDispatcher dispatcher, string dataset, CancellationToken cancellationToken)
    {
        foreach (var run in await line.JobLedger.ListRunsAsync(50, cancellationToken))
        {
            if (run.Kind != ExtractJobs.Kind || run.FinishedAt is not null) continue;
            var full = await line.JobLedger.GetRunAsync(run.RunId, withResults: true, cancellationToken);
            if (full is null || ExtractJobs.Read(full).Context.Dataset != dataset) continue;
            if (full.Batches.Count == 0 || full.Batches[0].JobId is not { } jobId) continue;
            var state = (await dispatcher.JobStatusAsync(jobId, cancellationToken)).State;
            if (state is JobState.Waiting or JobState.Running) return run.RunId;
        }
        return null;
    }

    /// <summary>Where an extract run is; null when there is no extract run <paramref name="runId"/>.</summary>
    public async Task<ExtractJobStatus?> StatusAsync(LineServices line, string runId, CancellationToken cancellationToken)
    {
        var run = await line.JobLedger.GetRunAsync(runId, withResults: true, cancellationToken);
        if (run is null || run.Kind != ExtractJobs.Kind) return null;
        var (context, result) = ExtractJobs.Read(run);
        var batch = run.Batches.Count > 0 ? run.Batches[0] : null;
        JobStatus status;
        if (result is not null) status = new JobStatus(JobState.Succeeded);
        else if (batch?.JobId is { } jobId) status = await (await DispatcherAsync(line, cancellationToken)).JobStatusAsync(jobId, cancellationToken);
        else status = new JobStatus(JobState.Waiting);
        return new ExtractJobStatus(run.RunId, context, status, result, run.CreatedAt, batch?.CompletedAt);
    }

    public async ValueTask DisposeAsync()
    {
        if (_local is not null) await _local.DisposeAsync();
        _submit.Dispose();
    }
}
