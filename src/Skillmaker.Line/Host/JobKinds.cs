using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Evaluation;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Reports;
using Skillmaker.Sources;
using Skillmaker.Training;

namespace Skillmaker.Host;

/// <summary>Every kind of batch job, registered once: its name (also the queue it waits on) and how the
/// composition root builds its handler. Workers take their handlers and default queues from here, so a
/// new kind is a handler in its stage folder and one line below.</summary>
public static class JobKinds
{
    /// <summary>Hangfire's own queue, for anything enqueued without one.</summary>
    public const string DefaultQueue = "default";

    private static readonly (string Kind, Func<LineServices, IBatchHandler> Create)[] Registered =
    [
        (IngestJobs.Kind, line => line.IngestJobs()),
        (DetectJobs.Kind, line => line.DetectJobs()),
        (EmbedJobs.Kind, line => line.EmbedJobs()),
        (TrainJobs.Kind, line => line.TrainJobs()),
        (EvalJobs.Kind, line => line.EvalJobs()),
        (UrlsJobs.Kind, line => line.UrlsJobs()),
        (CrawlJobs.Kind, line => line.CrawlJobs()),
        (ExtractJobs.Kind, line => line.ExtractJobs()),
        (ReportJobs.Kind, line => line.ReportJobs()),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. Registered.Select(r => r.Kind)];

    /// <summary>Every queue a worker takes jobs from by default: each kind's, then Hangfire's default.</summary>
    public static IReadOnlyList<string> Queues { get; } = [.. Names, DefaultQueue];

    /// <summary>One handler per kind over <paramref name="line"/>'s workspace.</summary>
    public static IReadOnlyDictionary<string, IBatchHandler> HandlersFor(LineServices line) =>
        Registered.ToDictionary(r => r.Kind, r => r.Create(line), StringComparer.Ordinal);
}
