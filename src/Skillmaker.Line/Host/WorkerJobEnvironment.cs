using Skillmaker.Common;
using Skillmaker.Jobs;

namespace Skillmaker.Host;

/// <summary>One workspace as a worker opened it from a job: its engines and a handler for every job kind.</summary>
public sealed class WorkerJobEnvironment : IJobEnvironment
{
    private readonly LineServices _line;
    private readonly IReadOnlyDictionary<string, IBatchHandler> _handlers;

    private WorkerJobEnvironment(LineServices line)
    {
        _line = line;
        _handlers = JobKinds.HandlersFor(line);
        Ledger = line.JobLedger;
    }

    public IJobLedger Ledger { get; }

    /// <summary>Opens the job's workspace with the worker's own folders (see <see cref="LineContext.OnWorker"/>),
    /// addresses and threads (<paramref name="overrides"/>); secrets come from the worker's environment.</summary>
    public static async Task<IJobEnvironment> OpenAsync(WorkspaceRef reference, LineContext context, WorkerOverrides? overrides, CancellationToken cancellationToken) =>
        new WorkerJobEnvironment(await LineServices.OpenAsync((overrides ?? new WorkerOverrides()).Apply(reference).Open(), context with { OnWorker = true }, cancellationToken));

    public IBatchHandler Handler(string kind) => _handlers.TryGetValue(kind, out var handler) ? handler
        : throw new SkillmakerException($"This worker cannot run '{kind}' jobs; it runs {string.Join(", ", _handlers.Keys)}. Update Skillmaker on this worker, or take that queue elsewhere.");

    public async ValueTask DisposeAsync()
    {
        foreach (var handler in _handlers.Values.OfType<IDisposable>()) handler.Dispose();
        await _line.DisposeAsync();
    }
}
