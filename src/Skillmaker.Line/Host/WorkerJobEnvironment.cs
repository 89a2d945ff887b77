using Skillmaker.Common;
using Skillmaker.Jobs;

namespace Skillmaker.Host;

/// <summary>One workspace as a worker opened it from a job: its engines and a handler for every job kind.</summary>
public sealed class WorkerJobEnvironment : IJobEnvironment
{
    private readonly LineServices _line;
    private readonly IReadOnlyDictionary<string, IBatchHandler> _handlers;
    private readonly bool _ownsLine;

    private WorkerJobEnvironment(LineServices line, bool ownsLine = true)
    {
        _line = line;
        _ownsLine = ownsLine;
        _handlers = JobKinds.HandlersFor(line);
        Ledger = line.JobLedger;
    }

    public IJobLedger Ledger { get; }

    /// <summary>Opens the job's workspace with the worker's own folders (see <see cref="LineContext.OnWorker"/>),
    /// addresses and threads (<paramref name="overrides"/>); secrets come from the worker's environment.</summary>
    public static async Task<IJobEnvironment> OpenAsync(WorkspaceRef reference, LineContext context, WorkerOverrides? overrides, CancellationToken cancellationToken) =>
        new WorkerJobEnvironment(await LineServices.OpenAsync((overrides ?? new WorkerOverrides()).Apply(reference).Open(), context with { OnWorker = true }, cancellationToken));

    /// <summary>Over a workspace this process already has open (the in-process queue); disposing leaves it open.</summary>
    public static IJobEnvironment Over(LineServices line) => new WorkerJobEnvironment(line, ownsLine: false);

    public IBatchHandler Handler(string kind) => _handlers.TryGetValue(kind, out var handler) ? handler
        : throw new SkillmakerException($"This worker cannot run '{kind}' jobs; it runs {string.Join(", ", _handlers.Keys)}. Update Skillmaker on this worker, or take that queue elsewhere.");

    public async ValueTask DisposeAsync()
    {
        foreach (var handler in _handlers.Values.OfType<IDisposable>()) handler.Dispose();
        if (_ownsLine) await _line.DisposeAsync();
    }
}
