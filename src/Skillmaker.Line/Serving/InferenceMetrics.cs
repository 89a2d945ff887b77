using System.Globalization;
using Prometheus;

namespace Skillmaker.Serving;

/// <summary>Serving metrics through prometheus-net: request counts and latency histograms, answers per
/// skill, the versions served, and the process's CPU, memory and GC. Each instance has a registry of
/// its own rather than the static default, so that several servers in one process (as in the tests)
/// keep their own counts.</summary>
public sealed class InferenceMetrics
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    // CPU inference: 1 ms to 10 s.
    private static readonly HistogramConfiguration Latency = new() { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Histogram _requestLatency;
    private readonly Histogram _detectorLatency;
    private readonly Histogram _skillLatency;
    private readonly Counter _skillAnswers;
    private readonly Gauge _skillVersion;
    private readonly Counter _refused;
    private readonly Counter _shadow;
    private readonly Gauge _inFlightBytes;

    public InferenceMetrics()
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("skillmaker_classify_requests_total", "Classify requests by HTTP status.", "status");
        _requestLatency = factory.CreateHistogram("skillmaker_classify_duration_seconds", "Time to answer a classify request, decode to response.", Latency);
        _detectorLatency = factory.CreateHistogram("skillmaker_detector_duration_seconds", "Vehicle detector inference per request.", Latency);
        _skillLatency = factory.CreateHistogram("skillmaker_skill_duration_seconds", "Skill inference per crop.", ["skill", "version"], Latency);
        _skillAnswers = factory.CreateCounter("skillmaker_skill_answers_total", "Answers of each skill version; outcome is answered, or abstained when the top probability was below the threshold.", "skill", "version", "outcome");
        _skillVersion = factory.CreateGauge("skillmaker_skill_version", "Version of each skill being served (the production alias).", "skill");
        _refused = factory.CreateCounter("skillmaker_requests_refused_total", "Requests refused before any work, by reason: too_large, busy, memory, per_key, malformed, timeout, unsupported.", "reason");
        _shadow = factory.CreateCounter("skillmaker_shadow_answers_total", "Shadow answers of staging versions beside production's (not returned): agreement is agree or disagree on the top label; dropped when the shadow queue was full.", "skill", "staging_version", "agreement");
        _inFlightBytes = factory.CreateGauge("skillmaker_classify_inflight_bytes", "Request bytes reserved by classify requests in flight.");
        DotNetStats.Register(_registry);
    }

    public void CountRequest(int status) => _requests.WithLabels(status.ToString(CultureInfo.InvariantCulture)).Inc();

    /// <summary>Counts a request refused (malformed, too slow, too large, over a limit).</summary>
    public void CountRefused(string reason) => _refused.WithLabels(reason).Inc();

    /// <summary>Counts a staging version's shadow answer: "agree", "disagree" or "dropped".</summary>
    public void CountShadow(string skill, int stagingVersion, string agreement) =>
        _shadow.WithLabels(skill, stagingVersion.ToString(CultureInfo.InvariantCulture), agreement).Inc();

    public void SetInFlightBytes(long bytes) => _inFlightBytes.Set(bytes);

    public void ObserveRequest(TimeSpan elapsed) => _requestLatency.Observe(elapsed.TotalSeconds);

    public void ObserveDetector(TimeSpan elapsed) => _detectorLatency.Observe(elapsed.TotalSeconds);

    public void ObserveSkill(string skill, int version, TimeSpan elapsed, bool abstained)
    {
        var v = version.ToString(CultureInfo.InvariantCulture);
        _skillLatency.WithLabels(skill, v).Observe(elapsed.TotalSeconds);
        _skillAnswers.WithLabels(skill, v, abstained ? "abstained" : "answered").Inc();
    }

    /// <summary>Writes every metric in the Prometheus text format, or in OpenMetrics when asked; the
    /// served versions are read at this moment.</summary>
    public async Task ExportAsync(Stream output, IReadOnlyDictionary<string, int> served, bool openMetrics, CancellationToken cancellationToken)
    {
        foreach (var (skill, version) in served) _skillVersion.WithLabels(skill).Set(version);
        await _registry.CollectAndExportAsTextAsync(output, openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText, cancellationToken);
    }
}
