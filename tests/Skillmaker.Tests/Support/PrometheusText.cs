using System.Text.Json;

namespace Skillmaker.Tests.Support;

/// <summary>Parses a scrape with the Prometheus project's own client parser (python3-prometheus-client,
/// installed by .ci/install-deps) rather than with a pattern of ours: the classic text format 0.0.4,
/// or OpenMetrics, whose parser also rejects unordered or non-cumulative histogram buckets.</summary>
public static class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Family(string Name, string Type, IReadOnlyList<Sample> Samples);

    // Debian's interpreter: that is where the Debian package puts the module, whatever python3 is first on PATH.
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, math, sys
        from prometheus_client.parser import text_string_to_metric_families as classic
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
        text = open(sys.argv[2], encoding="utf-8").read()
        parse = openmetrics if sys.argv[1] == "openmetrics" else classic
        print(json.dumps([{"name": f.name, "type": f.type, "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[str(s.value)]} for s in f.samples]}
            for f in parse(text)]))
        """;

    /// <summary>The families of <paramref name="text"/>; fails the test if any line is not valid exposition format.</summary>
    public static IReadOnlyList<Family> Parse(string text, bool openMetrics)
    {
        using var dir = new TempDir("prom");
        var path = dir.File("scrape.txt");
        File.WriteAllText(path, text);
        var json = JsonDocument.Parse(ExternalTool.Run(Python, "-c", Script, openMetrics ? "openmetrics" : "classic", path)).RootElement;
        return [.. json.EnumerateArray().Select(f => new Family(f.GetProperty("name").GetString()!, f.GetProperty("type").GetString()!,
            [.. f.GetProperty("samples").EnumerateArray().Select(s => new Sample(
                s.GetProperty("name").GetString()!,
                s.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!, StringComparer.Ordinal),
                s.GetProperty("value") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : double.Parse(s.GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture)))]))];
    }

    /// <summary>The value of the one sample with this name and these labels (others may be present), or 0 when there is none.</summary>
    public static double Value(IReadOnlyList<Family> families, string sample, params (string Name, string Value)[] labels) =>
        families.SelectMany(f => f.Samples).Where(s => s.Name == sample && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))
            .Select(s => s.Value).DefaultIfEmpty(0).Single();
}
