using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Skillmaker.Serving;

/// <summary>Request counts and latency histograms, rendered in the Prometheus text format (0.0.4).
/// Lock-free counters; the histogram buckets suit CPU inference (1 ms to 10 s).</summary>
public sealed class InferenceMetrics
{
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<int, long[]> _requests = new();
    private readonly Histogram _requestLatency = new();
    private readonly ConcurrentDictionary<(string Skill, int Version), Histogram> _skillLatency = new();
    private readonly Histogram _detectorLatency = new();

    public void CountRequest(int status) => Interlocked.Increment(ref _requests.GetOrAdd(status, _ => new long[1])[0]);

    public void ObserveRequest(TimeSpan elapsed) => _requestLatency.Observe(elapsed.TotalSeconds);

    public void ObserveDetector(TimeSpan elapsed) => _detectorLatency.Observe(elapsed.TotalSeconds);

    public void ObserveSkill(string skill, int version, TimeSpan elapsed) => _skillLatency.GetOrAdd((skill, version), _ => new Histogram()).Observe(elapsed.TotalSeconds);

    public string Render(IReadOnlyDictionary<string, int> served)
    {
        var text = new StringBuilder();
        text.Append("# HELP skillmaker_classify_requests_total Classify requests by HTTP status.\n# TYPE skillmaker_classify_requests_total counter\n");
        foreach (var (status, count) in _requests.OrderBy(r => r.Key))
            text.Append(CultureInfo.InvariantCulture, $"skillmaker_classify_requests_total{{status=\"{status}\"}} {Interlocked.Read(ref count[0])}\n");
        _requestLatency.Render(text, "skillmaker_classify_duration_seconds", "Time to answer a classify request, decode to response.", "");
        _detectorLatency.Render(text, "skillmaker_detector_duration_seconds", "Vehicle detector inference per request.", "");
        text.Append("# HELP skillmaker_skill_duration_seconds Skill inference per crop.\n# TYPE skillmaker_skill_duration_seconds histogram\n");
        foreach (var ((skill, version), histogram) in _skillLatency.OrderBy(s => s.Key.Skill, StringComparer.Ordinal).ThenBy(s => s.Key.Version))
            histogram.Render(text, "skillmaker_skill_duration_seconds", null, $"skill=\"{skill}\",version=\"{version}\"");
        text.Append("# HELP skillmaker_skill_version Version of each skill being served (the production alias).\n# TYPE skillmaker_skill_version gauge\n");
        foreach (var (skill, version) in served.OrderBy(s => s.Key, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"skillmaker_skill_version{{skill=\"{skill}\"}} {version}\n");
        return text.ToString();
    }

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length + 1];
        private long _sumMicros;

        public void Observe(double seconds)
        {
            var i = 0;
            while (i < Buckets.Length && seconds > Buckets[i]) i++;
            Interlocked.Increment(ref _counts[i]);
            Interlocked.Add(ref _sumMicros, (long)(seconds * 1e6));
        }

        /// <param name="help">Null when the HELP/TYPE lines were written already (labelled series).</param>
        public void Render(StringBuilder text, string name, string? help, string labels)
        {
            if (help is not null) text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            var prefix = labels.Length == 0 ? "" : labels + ",";
            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref _counts[i]);
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"{Buckets[i]}\"}} {cumulative}\n");
            }
            cumulative += Interlocked.Read(ref _counts[^1]);
            var set = labels.Length == 0 ? "" : $"{{{labels}}}";
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"+Inf\"}} {cumulative}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum{set} {Interlocked.Read(ref _sumMicros) / 1e6}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_count{set} {cumulative}\n");
        }
    }
}
