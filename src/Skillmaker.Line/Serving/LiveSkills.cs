using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Registry;

namespace Skillmaker.Serving;

/// <summary>The skill versions the server answers with: those the <c>production</c> aliases point at
/// (or, for shadow answers, the <c>staging</c> ones: <paramref name="alias"/>).
/// A refresh loads moved versions first and then swaps the whole set at once, so a request sees either
/// the old set or the new one, never a mix; a swapped-out version is disposed only when the last request
/// holding it has finished, so a promotion drops nothing in flight.</summary>
public sealed partial class LiveSkills(IReadOnlyList<string> skills, IAliasRegistry registry, ISkillLoader loader, ILogger<LiveSkills> logger, string alias = Aliases.Production) : IDisposable
{
    // Loading a version may fetch it (a shared skill store), so the refresh lock is awaited, not held by a thread.
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private SkillSet? _current;

    public bool IsReady => Volatile.Read(ref _current) is not null;

    /// <summary>The versions served now, e.g. {make: 3, bmw-variant: 2}.</summary>
    public IReadOnlyDictionary<string, int> Versions => Volatile.Read(ref _current)?.Versions ?? new Dictionary<string, int>();

    /// <summary>Loads every skill's production version. Throws naming each skill that has none or fails
    /// to load: a server must not start answering with half a cascade.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var skill in skills)
        {
            var version = await registry.GetAliasAsync(skill, alias, cancellationToken);
            if (version is null) errors.Add($"skill '{skill}' has no production version (train it, then `skillmaker promote {skill}@VERSION`)");
            else wanted[skill] = version.Value;
        }
        if (errors.Count > 0) throw new SkillmakerException($"Cannot serve the cascade: {string.Join("; ", errors)}.");
        await SwapAsync(wanted, failFast: true, cancellationToken);
    }

    /// <summary>Moves to the versions the aliases point at now. A version that fails to load is logged
    /// and the old one keeps serving. Returns true when the set changed.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var skill in skills)
            if (await registry.GetAliasAsync(skill, alias, cancellationToken) is { } version)
                wanted[skill] = version;
        return await SwapAsync(wanted, failFast: false, cancellationToken);
    }

    private async Task<bool> SwapAsync(Dictionary<string, int> wanted, bool failFast, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            var old = _current;
            var handles = new Dictionary<string, SkillHandle>(StringComparer.Ordinal);
            var loaded = new List<SkillHandle>();
            foreach (var skill in skills)
            {
                var oldHandle = old?.Handles.GetValueOrDefault(skill);
                if (!wanted.TryGetValue(skill, out var version) || oldHandle?.Classifier.Version == version)
                {
                    if (oldHandle is not null) handles[skill] = oldHandle.AddRef();
                    continue;
                }
                try
                {
                    var handle = new SkillHandle(await loader.LoadAsync(skill, version, cancellationToken));
                    loaded.Add(handle);
                    handles[skill] = handle;
                    if (oldHandle is not null) LogMoved(logger, skill, oldHandle.Classifier.Version, version);
                }
                catch (Exception ex) when (!failFast && ex is not OutOfMemoryException)
                {
                    LogLoadFailed(logger, ex, skill, version);
                    if (oldHandle is not null) handles[skill] = oldHandle.AddRef();
                }
                catch
                {
                    foreach (var h in handles.Values) h.Release();
                    throw;
                }
            }
            if (old is not null && loaded.Count == 0)
            {
                foreach (var h in handles.Values) h.Release();
                return false;
            }
            Volatile.Write(ref _current, new SkillSet(handles));
            old?.Release();
            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>The current set, held until the lease is disposed.</summary>
    public Lease Acquire() => TryAcquire(out var lease) ? lease : throw new InvalidOperationException("Skills are not loaded yet.");

    /// <summary>The current set when one is loaded (a staging set may have nothing to load).</summary>
    public bool TryAcquire(out Lease lease)
    {
        while (Volatile.Read(ref _current) is { } set)
        {
            if (set.TryAddRef())
            {
                lease = new Lease(set);
                return true;
            }
            // Lost a race with a swap that retired this set; the next read sees the new one.
        }
        lease = default;
        return false;
    }

    public void Dispose()
    {
        _refreshing.Wait();
        try
        {
            Interlocked.Exchange(ref _current, null)?.Release();
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public readonly struct Lease(SkillSet set) : IDisposable
    {
        public ISkillClassifier this[string skill] => set.Handles[skill].Classifier;

        public bool TryGet(string skill, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISkillClassifier? classifier)
        {
            classifier = set?.Handles.GetValueOrDefault(skill)?.Classifier;
            return classifier is not null;
        }

        public void Dispose() => set?.Release();
    }

    /// <summary>A reference-counted loaded version; shared by consecutive sets while it stays in production.</summary>
    internal sealed class SkillHandle(ISkillClassifier classifier)
    {
        private int _refs = 1;
        public ISkillClassifier Classifier { get; } = classifier;

        public SkillHandle AddRef()
        {
            Interlocked.Increment(ref _refs);
            return this;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) == 0) Classifier.Dispose();
        }
    }

    /// <summary>An immutable set of handles; one reference for being current plus one per lease.</summary>
    public sealed class SkillSet
    {
        private int _refs = 1;

        internal SkillSet(Dictionary<string, SkillHandle> handles)
        {
            Handles = handles;
            Versions = handles.ToDictionary(h => h.Key, h => h.Value.Classifier.Version, StringComparer.Ordinal);
        }

        internal IReadOnlyDictionary<string, SkillHandle> Handles { get; }
        public IReadOnlyDictionary<string, int> Versions { get; }

        internal bool TryAddRef()
        {
            var refs = Volatile.Read(ref _refs);
            while (refs > 0)
            {
                var seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
                if (seen == refs) return true;
                refs = seen;
            }
            return false;
        }

        internal void Release()
        {
            if (Interlocked.Decrement(ref _refs) != 0) return;
            foreach (var handle in Handles.Values) handle.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Skill {Skill}: production moved from v{From} to v{To}; now serving v{To}")]
    private static partial void LogMoved(ILogger logger, string skill, int from, int to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skill {Skill} v{Version} failed to load; the previous version keeps serving")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string skill, int version);
}

/// <summary>Polls the registry so a promotion reaches a running server within the refresh interval.</summary>
public sealed partial class LiveSkillsRefresher(LiveSkills skills, TimeSpan interval, TimeProvider time, ILogger<LiveSkillsRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await skills.RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The registry being briefly unreachable must not stop serving what is loaded.
                LogRefreshFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the registry for promotions failed; still serving the loaded versions")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
