using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

/// <summary>Regression tests for the hardening findings of issue 22 that concern the inference API: the
/// server's memory under hostile load, malformed and slow requests. (The memory figure under a burst is
/// measured by the bench, `bench serve-burst`.)</summary>
[Collection(ServingCollection.Name)]
public sealed class SecurityTests(ServingFixture fixture)
{
    private ServingConfig Config => ServingConfig.Load(fixture.CascadePath);

    [Fact]
    public async Task Classify_ByteBudgetSpent_503WithRetryAfterBeforeTheBodyIsRead()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config with { MaxBytes = 1 << 20, MaxInFlightBytes = 1 << 20 });
        // A: declares 1 MiB, sends 10 bytes and holds the whole budget.
        using var holder = await RawHttp.OpenAsync(server.Address);
        await holder.SendHeadAsync(fixture.Key, "image/jpeg", 1 << 20);
        await holder.SendAsync(new byte[10]);
        await WaitForMetricAsync(server, "skillmaker_classify_inflight_bytes", 1 << 20);

        // B: refused on its headers alone; it never sends a byte of its body.
        using var refused = await RawHttp.OpenAsync(server.Address);
        await refused.SendHeadAsync(fixture.Key, "image/jpeg", 1000);
        var (status, headers) = await refused.ReadHeadAsync();

        Assert.Equal(503, status);
        Assert.Equal("1", headers["retry-after"]);
        Assert.Equal(1, await MetricAsync(server, "skillmaker_requests_refused_total", "memory"));

        // Once A goes away its reservation is returned and a real photo is classified.
        holder.Dispose();
        await WaitForMetricAsync(server, "skillmaker_classify_inflight_bytes", 0);
        using var ok = await server.Client.SendAsync(Classify(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0]), "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Classify_OneKeyOverItsShare_429WithRetryAfter()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config with { MaxInFlightPerKey = 1 });
        using var holder = await RawHttp.OpenAsync(server.Address);
        await holder.SendHeadAsync(fixture.Key, "image/jpeg", 5000);
        await holder.SendAsync(new byte[10]);
        await WaitForMetricAsync(server, "skillmaker_classify_inflight_bytes", 5000);

        using var second = await RawHttp.OpenAsync(server.Address);
        await second.SendHeadAsync(fixture.Key, "image/jpeg", 5000);
        var (status, headers) = await second.ReadHeadAsync();

        Assert.Equal(429, status);
        Assert.Equal("1", headers["retry-after"]);
    }

    [Fact]
    public async Task Classify_SlowUpload_408NotServerErrorAndCounted()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config with { BodyTimeoutSeconds = 1 });
        using var slow = await RawHttp.OpenAsync(server.Address);
        await slow.SendHeadAsync(fixture.Key, "image/jpeg", 100_000);
        await slow.SendAsync(new byte[100]);
        var clock = Stopwatch.StartNew();
        var (status, _) = await slow.ReadHeadAsync();

        Assert.Equal(408, status);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.5, 4.5);
        Assert.Equal(1, await MetricAsync(server, "skillmaker_requests_refused_total", "timeout"));
        Assert.Equal(1, await MetricAsync(server, "skillmaker_classify_requests_total", "408", label: "status"));
        Assert.Equal(0, await MetricAsync(server, "skillmaker_classify_requests_total", "500", label: "status"));
    }

    [Theory]
    [InlineData("garbage, no boundary at all")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"image\"; filename=\"car.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8 truncated")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"image\"; filename=\"car.jpg\"\r\nno blank line after the headers")]
    public async Task Classify_MalformedMultipart_400CountedInMetrics(string body)
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config);
        using var request = Classify(Encoding.Latin1.GetBytes(body), "multipart/form-data; boundary=b0");

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("multipart/form-data", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await MetricAsync(server, "skillmaker_requests_refused_total", "malformed"));
        Assert.Equal(1, await MetricAsync(server, "skillmaker_classify_requests_total", "400", label: "status"));
    }

    [Fact]
    public async Task Classify_FormOf5000SmallFields_400NoImageNotTooLarge()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config);
        using var form = new MultipartFormDataContent("b1");
        for (var i = 0; i < 5000; i++) form.Add(new StringContent("x"), $"f{i}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = form };
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);

        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no file within its first 16 fields", text, StringComparison.Ordinal);
        Assert.DoesNotContain("over the limit", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classify_MultipartFileAfterAField_StreamedAndClassified()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, Config);
        using var form = new MultipartFormDataContent { { new StringContent("note"), "comment" }, { new ByteArrayContent(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0])), "image", "car.jpg" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = form };
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private HttpRequestMessage Classify(byte[] body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
        return request;
    }

    /// <summary>A sample of the server's /metrics: the value of <paramref name="name"/> with the given label
    /// value (no label: the plain sample), 0 when absent.</summary>
    private static async Task<double> MetricAsync(RunningServer server, string name, string? value = null, string label = "reason")
    {
        var text = await server.Client.GetStringAsync("/metrics");
        var prefix = value is null ? name + " " : $"{name}{{{label}=\"{value}\"}} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    private static async Task WaitForMetricAsync(RunningServer server, string name, double expected)
    {
        var clock = Stopwatch.StartNew();
        while (await MetricAsync(server, name) != expected)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"{name} never reached {expected} (now {await MetricAsync(server, name)})");
            await Task.Delay(20);
        }
    }
}

/// <summary>HTTP/1.1 over a bare socket, for what HttpClient will not do: send the head and stop, or
/// send the body slowly.</summary>
internal sealed class RawHttp : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Uri _address;

    private RawHttp(TcpClient tcp, Uri address)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _address = address;
    }

    public static async Task<RawHttp> OpenAsync(Uri address)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        return new RawHttp(tcp, address);
    }

    public Task SendHeadAsync(string key, string contentType, long contentLength) => SendAsync(Encoding.ASCII.GetBytes(
        $"POST /v1/classify HTTP/1.1\r\nHost: {_address.Authority}\r\n{ApiHeaders.ApiKey}: {key}\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n\r\n"));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>The status and headers (lower-case names) of the response, within 10 s.</summary>
    public async Task<(int Status, Dictionary<string, string> Headers)> ReadHeadAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await _stream.ReadAsync(one, timeout.Token) == 0) break;
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        return (int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture), headers);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
