using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Skillmaker.Serving;

/// <summary>Shadow answers: a staging version classifies the same crop as production, after the request
/// has its answer, on one background thread. The queue is bounded; when it is full a shadow answer is
/// dropped (and counted) rather than slowing anyone down. Agreement counts also go to <paramref name="store"/>
/// (per skill, staging version, production version), so promotion can read them: written whenever the queue
/// runs dry or every <see cref="FlushEvery"/> answers, and on shutdown.</summary>
public sealed partial class ShadowRunner(LiveSkills staging, InferenceMetrics metrics, ILogger<ShadowRunner> logger,
    IShadowStore? store = null, TimeProvider? time = null, int capacity = 64) : BackgroundService
{
    /// <summary>Most answers held in memory before they are written.</summary>
    public const int FlushEvery = 32;

    private readonly Dictionary<(string Skill, int Staging, int Production, string Agreement), int> _pending = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private sealed record Work(string Skill, int ProductionVersion, string ProductionLabel, SKBitmap Crop);

    /// <summary>Queues <paramref name="crop"/> (copied) for the staging version of <paramref name="skill"/>,
    /// if there is one that differs from production's.</summary>
    public void Offer(string skill, int productionVersion, string productionLabel, SKBitmap crop)
    {
        if (!staging.TryAcquire(out var lease)) return;
        int stagingVersion;
        using (lease)
        {
            if (!lease.TryGet(skill, out var classifier) || classifier.Version == productionVersion) return;
            stagingVersion = classifier.Version;
        }
        var copy = crop.Copy();
        if (copy is null) return;
        if (!_queue.Writer.TryWrite(new Work(skill, productionVersion, productionLabel, copy)))
        {
            copy.Dispose();
            metrics.CountShadow(skill, stagingVersion, "dropped");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                Answer(work);
                if (_queue.Reader.Count == 0 || _pending.Values.Sum() >= FlushEvery) await FlushAsync(stoppingToken);
            }
        }
        finally
        {
            // Counted answers are not lost on shutdown: a short, separate deadline to write them.
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            await FlushAsync(last.Token);
        }
    }

    private void Answer(Work work)
    {
        using var crop = work.Crop;
        try
        {
            if (!staging.TryAcquire(out var lease)) return;
            using (lease)
            {
                if (!lease.TryGet(work.Skill, out var classifier)) return;
                var answer = classifier.Classify(crop);
                var label = answer.Options[0].Label;
                var agreement = label == work.ProductionLabel ? "agree" : "disagree";
                metrics.CountShadow(work.Skill, classifier.Version, agreement);
                var key = (work.Skill, classifier.Version, work.ProductionVersion, agreement);
                _pending[key] = _pending.GetValueOrDefault(key) + 1;
                LogShadow(logger, work.Skill, work.ProductionVersion, work.ProductionLabel, classifier.Version, label, answer.Options[0].Probability, agreement);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failing challenger must never affect what production serves.
            LogShadowFailed(logger, ex, work.Skill);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (store is null || _pending.Count == 0) return;
        var tallies = _pending.Select(p => new ShadowTally(p.Key.Skill, p.Key.Staging, p.Key.Production, p.Key.Agreement, p.Value)).ToList();
        try
        {
            await store.AddAsync(tallies, _time.GetUtcNow(), cancellationToken);
            _pending.Clear();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The catalog briefly unreachable: keep the counts and try again with the next answer.
            LogFlushFailed(logger, ex, tallies.Sum(t => t.Answers));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Answers} shadow answer counts to the catalog failed; they are kept and written with the next ones")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int answers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shadow {Skill}: production v{ProductionVersion} said {ProductionLabel}, staging v{StagingVersion} said {StagingLabel} ({Probability:0.000}): {Agreement}")]
    private static partial void LogShadow(ILogger logger, string skill, int productionVersion, string productionLabel, int stagingVersion, string stagingLabel, float probability, string agreement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shadow answer of {Skill}'s staging version failed; production is not affected")]
    private static partial void LogShadowFailed(ILogger logger, Exception exception, string skill);
}
