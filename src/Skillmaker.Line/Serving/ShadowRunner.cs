using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Skillmaker.Serving;

/// <summary>Shadow answers: a staging version classifies the same crop as production, after the request
/// has its answer, on one background thread. The queue is bounded; when it is full a shadow answer is
/// dropped (and counted) rather than slowing anyone down.</summary>
public sealed partial class ShadowRunner(LiveSkills staging, InferenceMetrics metrics, ILogger<ShadowRunner> logger, int capacity = 64) : BackgroundService
{
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
        await foreach (var work in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            using var crop = work.Crop;
            try
            {
                if (!staging.TryAcquire(out var lease)) continue;
                using (lease)
                {
                    if (!lease.TryGet(work.Skill, out var classifier)) continue;
                    var answer = classifier.Classify(crop);
                    var label = answer.Options[0].Label;
                    var agreement = label == work.ProductionLabel ? "agree" : "disagree";
                    metrics.CountShadow(work.Skill, classifier.Version, agreement);
                    LogShadow(logger, work.Skill, work.ProductionVersion, work.ProductionLabel, classifier.Version, label, answer.Options[0].Probability, agreement);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failing challenger must never affect what production serves.
                LogShadowFailed(logger, ex, work.Skill);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shadow {Skill}: production v{ProductionVersion} said {ProductionLabel}, staging v{StagingVersion} said {StagingLabel} ({Probability:0.000}): {Agreement}")]
    private static partial void LogShadow(ILogger logger, string skill, int productionVersion, string productionLabel, int stagingVersion, string stagingLabel, float probability, string agreement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shadow answer of {Skill}'s staging version failed; production is not affected")]
    private static partial void LogShadowFailed(ILogger logger, Exception exception, string skill);
}
