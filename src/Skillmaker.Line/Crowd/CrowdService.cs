using Microsoft.Extensions.Logging;
using Skillmaker.Catalog;
using Skillmaker.Common;

namespace Skillmaker.Crowd;

/// <summary>The crowd workflow: queue crops, hand tasks to workers, take answers, consolidate.</summary>
public sealed partial class CrowdService(ICrowdStore store, ICatalog catalog, CrowdOptions options, TimeProvider time, ILogger<CrowdService> logger)
{
    public CrowdOptions Options => options;

    /// <summary>Queues every crop in the catalog that was never queued.</summary>
    public async Task<int> EnqueueAllCropsAsync(int? overlap, CancellationToken cancellationToken)
    {
        var crops = await store.GetUnqueuedCropsAsync(cancellationToken);
        var added = await store.EnqueueAsync(crops, ValidOverlap(overlap ?? options.Overlap), time.GetUtcNow(), cancellationToken);
        LogQueued(logger, added);
        return added;
    }

    public async Task<CrowdTask> SetGoldAsync(string imageId, string content, string quality, CancellationToken cancellationToken)
    {
        var image = await catalog.GetImageAsync(imageId, cancellationToken)
            ?? throw new SkillmakerException($"Image {imageId} is not in the catalog.");
        if (image.Image.Kind != ImageKind.Crop)
            throw new SkillmakerException($"Image {imageId} is an original photo; crowd tasks are crops (run detection first).");
        return await store.SetGoldAsync(imageId, CrowdQuestions.ValidateContent(content, "gold"), CrowdQuestions.ValidateQuality(quality, "gold"), time.GetUtcNow(), cancellationToken);
    }

    public Task<CrowdAssignment?> NextTaskAsync(string worker, CancellationToken cancellationToken) =>
        store.AcquireAsync(worker, time.GetUtcNow(), options.LockDuration, options.GoldEvery, cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(long taskId, string worker, string content, string quality, CancellationToken cancellationToken) =>
        store.SubmitAsync(taskId, worker, CrowdQuestions.ValidateContent(content, "answer"), CrowdQuestions.ValidateQuality(quality, "answer"), time.GetUtcNow(), cancellationToken);

    public async Task<CrowdQueueCounts> CountAsync(CancellationToken cancellationToken)
    {
        var tasks = await store.GetTasksAsync(null, openOnly: false, cancellationToken);
        var answers = (await store.GetAnswersAsync(cancellationToken)).GroupBy(a => a.TaskId).ToDictionary(g => g.Key, g => g.Count());
        var open = tasks.Where(t => t.Status == CrowdTaskStatus.Open && !t.IsGold).ToList();
        return new CrowdQueueCounts(open.Count, tasks.Count(t => t.IsGold), open.Sum(t => Math.Max(0, t.Overlap - answers.GetValueOrDefault(t.Id))),
            answers.Values.Sum(), tasks.Count(t => t.Status == CrowdTaskStatus.Consolidated));
    }

    /// <summary>Scores every worker on the gold tasks they answered.</summary>
    public async Task<IReadOnlyList<WorkerScore>> ScoreWorkersAsync(CancellationToken cancellationToken)
    {
        var gold = (await store.GetTasksAsync(null, openOnly: false, cancellationToken)).Where(t => t.IsGold).ToDictionary(t => t.Id);
        var answers = await store.GetAnswersAsync(cancellationToken);
        return [.. answers.GroupBy(a => a.Worker, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var onGold = g.Where(a => gold.ContainsKey(a.TaskId)).ToList();
            return new WorkerScore(g.Key, g.Count(), onGold.Count,
                onGold.Count(a => a.Content == gold[a.TaskId].GoldContent), onGold.Count(a => a.Quality == gold[a.TaskId].GoldQuality));
        })];
    }

    /// <summary>Consolidates every open task that has all its answers. Unsure items go back to the queue
    /// for another round, or to the expert once <see cref="CrowdOptions.MaxRequeues"/> is used up.</summary>
    public async Task<IReadOnlyList<CrowdResult>> ConsolidateAsync(ConsolidationMethod method, CancellationToken cancellationToken)
    {
        var tasks = await store.GetTasksAsync(null, openOnly: false, cancellationToken);
        var answers = await store.GetAnswersAsync(cancellationToken);
        var byTask = answers.ToLookup(a => a.TaskId);
        var ready = tasks.Where(t => t.Status == CrowdTaskStatus.Open && !t.IsGold && byTask[t.Id].Count() >= t.Overlap).ToList();
        if (ready.Count == 0) return [];

        var key = (long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Every answer teaches the methods about its worker; gold answers are known truths.
        var gold = tasks.Where(t => t.IsGold).ToList();
        var settings = new ConsolidationSettings { MinConfidence = options.MinPosterior, MinWorkerAnswers = options.MinWorkerAnswers };
        var content = Consolidation.Run(method, [.. answers.Select(a => new Vote(key(a.TaskId), a.Worker, a.Content))], [.. CrowdQuestions.Content.Select(o => o.Value)],
            gold.ToDictionary(t => key(t.Id), t => t.GoldContent!), settings);
        var quality = Consolidation.Run(method, [.. answers.Select(a => new Vote(key(a.TaskId), a.Worker, a.Quality))], [.. CrowdQuestions.Quality.Select(o => o.Value)],
            gold.ToDictionary(t => key(t.Id), t => t.GoldQuality!), settings);

        var now = time.GetUtcNow();
        var results = ready.Select(t =>
        {
            var c = content[key(t.Id)];
            var q = quality[key(t.Id)];
            var outcome = c.Answer != CrowdQuestions.Unsure ? CrowdOutcome.Resolved
                : t.Round <= options.MaxRequeues ? CrowdOutcome.Requeued : CrowdOutcome.Escalated;
            return new CrowdResult
            {
                ImageId = t.ImageId, TaskId = t.Id, Method = method, Content = c.Answer, ContentConfidence = c.Confidence,
                Quality = q.Answer, QualityConfidence = q.Confidence, Answers = byTask[t.Id].Count(), Outcome = outcome, ConsolidatedAt = now,
            };
        }).ToList();
        await store.SaveConsolidationAsync(results, cancellationToken);
        LogConsolidated(logger, results.Count, method);
        return results;
    }

    /// <summary>Money and hours for what is queued. Seconds per task: the given value, else the median
    /// of measured answers, else <paramref name="fallbackSecondsPerTask"/>.</summary>
    public async Task<CostEstimate> EstimateCostAsync(double? secondsPerTask, double hourlyRate, int? overlap, double fallbackSecondsPerTask, CancellationToken cancellationToken)
    {
        if (secondsPerTask is <= 0) throw new SkillmakerException($"Seconds per task must be positive; got {secondsPerTask}.");
        if (hourlyRate < 0) throw new SkillmakerException($"Hourly rate must not be negative; got {hourlyRate}.");
        if (overlap is not null) ValidOverlap(overlap.Value);
        var tasks = await store.GetTasksAsync(null, openOnly: true, cancellationToken);
        var answers = await store.GetAnswersAsync(cancellationToken);
        var counts = answers.GroupBy(a => a.TaskId).ToDictionary(g => g.Key, g => g.Count());
        var open = tasks.Where(t => !t.IsGold).ToList();
        var left = open.Sum(t => Math.Max(0, (overlap ?? t.Overlap) - counts.GetValueOrDefault(t.Id)));
        var measured = answers.Where(a => a.Seconds is > 0).Select(a => a.Seconds!.Value).Order().ToList();
        var (seconds, basis) = secondsPerTask is { } s ? (s, "given")
            : measured.Count > 0 ? (Median(measured), $"median of {measured.Count} measured answers")
            : (fallbackSecondsPerTask, "default (no answers measured yet)");
        var hours = left * seconds / 3600.0;
        return new CostEstimate(open.Count, left, seconds, basis, Math.Round(hours, 2), hourlyRate, Math.Round(hours * hourlyRate, 2));
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    private static int ValidOverlap(int overlap) =>
        overlap is >= 1 and <= 20 ? overlap : throw new SkillmakerException($"Overlap {overlap} is out of range; expected 1..20 workers per task.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued {Count} crowd tasks")]
    private static partial void LogQueued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consolidated {Count} crowd tasks with {Method}")]
    private static partial void LogConsolidated(ILogger logger, int count, ConsolidationMethod method);
}

/// <summary>What the queued work costs. <see cref="Cost"/> is in the currency of the hourly rate.</summary>
public sealed record CostEstimate(int OpenTasks, int AssignmentsLeft, double SecondsPerTask, string SecondsBasis, double Hours, double HourlyRate, double Cost);
