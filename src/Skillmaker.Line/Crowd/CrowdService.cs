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

    /// <summary>The task the worker holds now, without reserving one (opening the page reserves nothing).</summary>
    public Task<CrowdAssignment?> HeldTaskAsync(string worker, CancellationToken cancellationToken) =>
        store.GetHeldAsync(worker, time.GetUtcNow(), cancellationToken);

    /// <summary>Every answer option with what workers read about it: the admins' text and example crop, else the default text.</summary>
    public async Task<IReadOnlyList<GuideEntry>> GuideAsync(CancellationToken cancellationToken)
    {
        var written = (await store.GetInstructionsAsync(cancellationToken)).ToDictionary(i => i.Option, StringComparer.Ordinal);
        return [.. CrowdQuestions.AllOptions.Select(o => written.TryGetValue(o.Key, out var w)
            ? new GuideEntry(o.Key, o.Question, o.Option, w.Text, w.ExampleImageId, w)
            : new GuideEntry(o.Key, o.Question, o.Option, CrowdQuestions.DefaultInstruction(o.Key), null, null))];
    }

    /// <summary>Saves admins' instructions (option key → text and example crop id, empty for none), all or
    /// nothing: an unknown option, an empty or overlong text, or an example that is not a crop is refused
    /// naming the option.</summary>
    public async Task SaveGuideAsync(IReadOnlyList<(string Key, string Text, string? Example)> entries, string actor, CancellationToken cancellationToken)
    {
        var keys = CrowdQuestions.AllOptions.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var rows = new List<CrowdInstruction>();
        foreach (var (key, text, example) in entries)
        {
            if (!keys.Contains(key)) throw new SkillmakerException($"'{key}' is not an answer option; expected one of: {string.Join(", ", keys)}.");
            var trimmed = text.Trim();
            if (trimmed.Length is 0 or > 1000) throw new SkillmakerException($"The instruction for {key} must be 1 to 1000 characters (it is {trimmed.Length}).");
            string? exampleId = string.IsNullOrWhiteSpace(example) ? null : example.Trim().ToLowerInvariant();
            if (exampleId is not null && (await catalog.GetImageAsync(exampleId, cancellationToken))?.Image.Kind != ImageKind.Crop)
                throw new SkillmakerException($"The example for {key} ('{exampleId}') is not a crop in the catalog; give a crop's full id (as `images list --kind crop` shows it), or leave it empty.");
            rows.Add(new CrowdInstruction(key, trimmed, exampleId, actor, now));
        }
        await store.SaveInstructionsAsync(rows, cancellationToken);
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

    /// <summary>Money and hours for what is queued, per channel (own page, MTurk). Seconds per task: the
    /// given value, else a robust measure of the channel's answers (<see cref="CostAssumptions"/>), else
    /// the other channel's, else <paramref name="fallbackSecondsPerTask"/>. MTurk's fee is included.</summary>
    public async Task<CostEstimate> EstimateCostAsync(double? secondsPerTask, double hourlyRate, int? overlap, double fallbackSecondsPerTask, CancellationToken cancellationToken)
    {
        if (secondsPerTask is <= 0) throw new SkillmakerException($"Seconds per task must be positive; got {secondsPerTask}.");
        if (hourlyRate < 0) throw new SkillmakerException($"Hourly rate must not be negative; got {hourlyRate}.");
        if (overlap is not null) ValidOverlap(overlap.Value);
        var a = CostAssumptions.Default;
        var tasks = await store.GetTasksAsync(null, openOnly: true, cancellationToken);
        var answers = await store.GetAnswersAsync(cancellationToken);
        var counts = answers.GroupBy(x => x.TaskId).ToDictionary(g => g.Key, g => g.Count());
        var open = tasks.Where(t => !t.IsGold).ToList();
        var left = open.Sum(t => Math.Max(0, (overlap ?? t.Overlap) - counts.GetValueOrDefault(t.Id)));
        var largestOverlap = open.Count == 0 ? overlap ?? options.Overlap : open.Max(t => overlap ?? t.Overlap);

        var measures = Channels.ToDictionary(c => c, c => RobustSeconds([.. answers.Where(x => x.Channel == c && x.Seconds is > 0).Select(x => x.Seconds!.Value)], a), StringComparer.Ordinal);
        var channels = new List<ChannelCost>();
        foreach (var (channel, label) in new[] { ("web", "own page"), ("mturk", "MTurk") })
        {
            var mine = measures[channel];
            var other = measures[channel == "web" ? "mturk" : "web"];
            var (seconds, basis) = secondsPerTask is { } given ? (given, "given")
                : mine.Seconds is { } m ? (m, mine.Basis)
                : other.Seconds is { } o ? (o, $"{other.Basis} on the {(channel == "web" ? "MTurk" : "own page")} ({mine.Basis} here)")
                : (fallbackSecondsPerTask, $"default ({mine.Basis})");
            var hours = left * seconds / 3600.0;
            var pay = hours * hourlyRate;
            double fee = 0;
            if (channel == "mturk" && left > 0)
            {
                var reward = seconds / 3600.0 * hourlyRate;
                var rate = largestOverlap >= 10 ? a.MTurkFeeTenOrMore : a.MTurkFee;
                fee = left * Math.Max(a.MTurkMinimumFee, reward * rate);
            }
            channels.Add(new ChannelCost(channel, label, Math.Round(seconds, 2), basis, mine.Measured, mine.Excluded, Math.Round(hours, 2),
                Math.Round(pay, 2), Math.Round(fee, 2), Math.Round(pay + fee, 2)));
        }
        var assumptions = new List<string>
        {
            $"{left} answers to go over {open.Count} open tasks{(overlap is { } ov ? $", re-planned with overlap {ov}" : "")}; gold tasks not counted",
            $"pay {hourlyRate:0.##} per worker hour, in the currency of the rate",
            secondsPerTask is not null ? $"seconds per answer given: {secondsPerTask:0.##}"
                : $"seconds per answer measured per channel: answers under {a.SpeederSeconds:0.#} s or under {a.SpeederShareOfMedian * 100:0}% of the median are speeders, " +
                  $"over {a.IdleSeconds:0} s idle, both left out; then the median of the middle {(1 - 2 * a.TrimShare) * 100:0}%; at least {a.MinimumMeasured} answers needed, " +
                  $"else the other channel's figure, else {fallbackSecondsPerTask:0.#} s; never below {a.FloorSeconds:0.#} s",
            $"MTurk fee: {a.MTurkFee * 100:0}% of the reward ({a.MTurkFeeTenOrMore * 100:0}% when a HIT has 10 or more assignments), at least {a.MTurkMinimumFee:0.00} per assignment; no fee on the own page",
        };
        var web = channels[0];
        return new CostEstimate(open.Count, left, web.SecondsPerTask, web.SecondsBasis, web.Hours, hourlyRate, web.Total, channels, assumptions);
    }

    private static readonly string[] Channels = ["web", "mturk"];

    /// <summary>Seconds per answer that a few quick test answers or one coffee break cannot swing.</summary>
    internal static (double? Seconds, string Basis, int Measured, int Excluded) RobustSeconds(IReadOnlyList<double> seconds, CostAssumptions a)
    {
        if (seconds.Count == 0) return (null, "no answers measured", 0, 0);
        var sorted = seconds.Order().ToList();
        var rawMedian = Median(sorted);
        var kept = sorted.Where(s => s >= a.SpeederSeconds && s >= a.SpeederShareOfMedian * rawMedian && s <= a.IdleSeconds).ToList();
        var excluded = sorted.Count - kept.Count;
        if (kept.Count < a.MinimumMeasured)
            return (null, $"only {kept.Count} usable measured answers of {sorted.Count}, {a.MinimumMeasured} needed", sorted.Count, excluded);
        var trim = (int)Math.Floor(kept.Count * a.TrimShare);
        var middle = kept.Skip(trim).Take(kept.Count - 2 * trim).ToList();
        var value = Math.Max(a.FloorSeconds, Median(middle));
        return (value, $"trimmed median of {kept.Count} measured answers ({excluded} speeders or idle left out)", sorted.Count, excluded);
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

/// <summary>One answer option as workers read it.</summary>
/// <param name="Key">"content:exterior", "quality:blurry".</param>
/// <param name="Written">What an admin wrote, when anyone did; null while the default text is shown.</param>
public sealed record GuideEntry(string Key, string Question, AnswerOption Option, string Text, string? ExampleImageId, CrowdInstruction? Written);

/// <summary>What the queued work costs. <see cref="Cost"/> is in the currency of the hourly rate; the top-level
/// figures are the own page's, <see cref="Channels"/> has each channel's, <see cref="Assumptions"/> says
/// what the figures rest on.</summary>
public sealed record CostEstimate(int OpenTasks, int AssignmentsLeft, double SecondsPerTask, string SecondsBasis, double Hours, double HourlyRate, double Cost,
    IReadOnlyList<ChannelCost> Channels, IReadOnlyList<string> Assumptions);

/// <summary>The remaining work done on one channel: worker pay plus the platform's fee.</summary>
public sealed record ChannelCost(string Channel, string Name, double SecondsPerTask, string SecondsBasis, int MeasuredAnswers, int ExcludedAnswers,
    double Hours, double WorkerPay, double PlatformFee, double Total);

/// <summary>What cost estimates assume. MTurk's fee: 20% of reward and bonus, 40% for HITs with 10 or
/// more assignments, at least $0.01 per assignment (MTurk pricing).</summary>
public sealed record CostAssumptions
{
    public static readonly CostAssumptions Default = new();
    /// <summary>An answer quicker than this is a speeder (nobody reads two questions in under 3 s).</summary>
    public double SpeederSeconds { get; init; } = 3;
    /// <summary>An answer quicker than this share of the median is a speeder too.</summary>
    public double SpeederShareOfMedian { get; init; } = 0.25;
    /// <summary>An answer slower than this (the task's reservation) had the worker away.</summary>
    public double IdleSeconds { get; init; } = 600;
    /// <summary>Share cut from each end before the median.</summary>
    public double TrimShare { get; init; } = 0.1;
    /// <summary>Usable measured answers needed before the measure is trusted.</summary>
    public int MinimumMeasured { get; init; } = 10;
    /// <summary>Seconds per answer never estimated below this.</summary>
    public double FloorSeconds { get; init; } = 5;
    public double MTurkFee { get; init; } = 0.20;
    public double MTurkFeeTenOrMore { get; init; } = 0.40;
    public double MTurkMinimumFee { get; init; } = 0.01;
}
