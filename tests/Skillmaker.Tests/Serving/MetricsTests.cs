using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Skillmaker.Serving;
using static Skillmaker.Tests.Support.PrometheusText;

namespace Skillmaker.Tests.Serving;

/// <summary>/metrics scraped over real HTTP and read by the Prometheus client's own parser.</summary>
[Collection(ServingCollection.Name)]
public sealed class MetricsTests(ServingFixture fixture)
{
    private async Task ClassifyAsync(RunningServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0])) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<(string Text, string? ContentType)> ScrapeAsync(RunningServer server, bool openMetrics = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        // As a Prometheus server asks: OpenMetrics first, the classic format as the fallback.
        if (openMetrics) request.Headers.Accept.ParseAdd("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Metrics_ClassicScrape_EveryLineParsedAndHistogramBucketsCumulative()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        await ClassifyAsync(server);

        var (text, contentType) = await ScrapeAsync(server);
        var families = Parse(text, openMetrics: false);

        Assert.Equal(InferenceMetrics.TextContentType, contentType);
        // Every sample line became a sample: none was skipped or misread.
        Assert.Equal(text.Split('\n').Count(l => l.Length > 0 && !l.StartsWith('#')), families.Sum(f => f.Samples.Count));
        var histograms = families.Where(f => f.Type == "histogram").ToList();
        Assert.Contains(histograms, f => f.Name == "skillmaker_skill_duration_seconds");
        foreach (var histogram in histograms)
            foreach (var series in histogram.Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).GroupBy(s => SeriesKey(s, "le")))
            {
                var buckets = series.OrderBy(s => Bound(s.Labels["le"])).Select(s => s.Value).ToList();
                Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First <= p.Second), $"{histogram.Name}{{{series.Key}}} buckets are not cumulative: {string.Join(", ", buckets)}");
                Assert.Equal(double.PositiveInfinity, series.Max(s => Bound(s.Labels["le"])));
                var count = histogram.Samples.Single(s => s.Name == histogram.Name + "_count" && SeriesKey(s, "le") == series.Key);
                Assert.Equal(count.Value, buckets[^1]);
            }
        // The process's own metrics come with the library.
        Assert.True(Value(families, "process_cpu_seconds_total") > 0);
        Assert.True(Value(families, "process_working_set_bytes") > 0);
    }

    [Fact]
    public async Task Metrics_OpenMetricsAsked_StrictParserAcceptsTheScrape()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        await ClassifyAsync(server);

        var (text, contentType) = await ScrapeAsync(server, openMetrics: true);
        var families = Parse(text, openMetrics: true);

        Assert.Equal(InferenceMetrics.OpenMetricsContentType, contentType);
        Assert.EndsWith("# EOF\n", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(families, "skillmaker_skill_version", ("skill", "make")));
        Assert.Equal(1, Value(families, "skillmaker_classify_requests_total", ("status", "200")));
    }

    [Fact]
    public async Task Metrics_ClassifyCall_CountersIncrementOnThatServerOnly()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        await using var other = await ServingFixture.StartAsync(fixture.Root);
        var before = Parse((await ScrapeAsync(server)).Text, openMetrics: false);

        await ClassifyAsync(server);

        var after = Parse((await ScrapeAsync(server)).Text, openMetrics: false);
        var untouched = Parse((await ScrapeAsync(other)).Text, openMetrics: false);
        double Delta(string sample, params (string, string)[] labels) => Value(after, sample, labels) - Value(before, sample, labels);
        Assert.Equal(1, Delta("skillmaker_classify_requests_total", ("status", "200")));
        Assert.Equal(1, Delta("skillmaker_classify_duration_seconds_count"));
        Assert.Equal(1, Delta("skillmaker_detector_duration_seconds_count"));
        Assert.Equal(1, Delta("skillmaker_skill_duration_seconds_count", ("skill", "make"), ("version", "1")));
        Assert.Equal(1, Delta("skillmaker_skill_answers_total", ("skill", "make"), ("version", "1"), ("outcome", "answered"))
            + Delta("skillmaker_skill_answers_total", ("skill", "make"), ("version", "1"), ("outcome", "abstained")));
        // Each server has a registry of its own: the other one counted nothing.
        Assert.Equal(0, Value(untouched, "skillmaker_classify_requests_total", ("status", "200")));
        Assert.Equal(0, Value(untouched, "skillmaker_classify_duration_seconds_count"));
    }

    private static string SeriesKey(Sample sample, string except) =>
        string.Join(",", sample.Labels.Where(l => l.Key != except).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\""));

    private static double Bound(string le) => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
}
