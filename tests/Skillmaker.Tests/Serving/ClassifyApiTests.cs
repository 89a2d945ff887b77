using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Serving;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class ClassifyApiTests(ServingFixture fixture)
{
    private static HttpRequestMessage Classify(byte[] body, string? contentType, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(body) };
        if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null) request.Headers.Add(ApiHeaders.ApiKey, key);
        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(RunningServer server, HttpRequestMessage request)
    {
        var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Fact]
    public async Task Classify_AudiPhotos_CascadeRunsMakeThenVariantWithVersionsInBodyAndHeaders()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var audis = TestAssets.CarPhotos().Where(p => p.Contains("audi_", StringComparison.Ordinal)).Take(6).ToList();
        var twoStage = 0;

        foreach (var photo in audis)
        {
            var (status, body, response) = await SendAsync(server, Classify(await File.ReadAllBytesAsync(photo), "image/jpeg", fixture.Key));

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(body.GetProperty("vehicle").GetProperty("detected").GetBoolean(), photo);
            Assert.Single(body.GetProperty("vehicle").GetProperty("detections").EnumerateArray(), d => d.GetProperty("chosen").GetBoolean());
            var cascade = body.GetProperty("cascade").EnumerateArray().ToList();
            var make = cascade[0];
            Assert.Equal("make", make.GetProperty("skill").GetString());
            Assert.Equal(1, make.GetProperty("skillVersion").GetInt32());
            Assert.Equal(BuildInfo.CodeVersion, make.GetProperty("codeVersion").GetString());
            var options = make.GetProperty("options").EnumerateArray().Select(o => o.GetProperty("probability").GetSingle()).ToList();
            Assert.Equal(3, options.Count);
            Assert.Equal(options.OrderDescending(), options);
            Assert.Equal(make.GetProperty("probability").GetSingle(), options[0]);
            var ood = make.GetProperty("ood").GetSingle();
            var oodThreshold = make.GetProperty("oodThreshold").GetSingle();
            var expectedReason = ood > oodThreshold ? "out-of-distribution" : options[0] < 0.5f ? "low-confidence" : null;
            Assert.Equal(expectedReason, make.GetProperty("reason").GetString());
            Assert.Equal(expectedReason is not null, make.GetProperty("abstained").GetBoolean());
            // The variant stage runs exactly when the make is a confident "audi".
            var expectVariant = !make.GetProperty("abstained").GetBoolean() && make.GetProperty("label").GetString() == "audi";
            Assert.Equal(expectVariant ? 2 : 1, cascade.Count);
            if (expectVariant)
            {
                twoStage++;
                Assert.Equal("audi-variant", cascade[1].GetProperty("skill").GetString());
                Assert.Contains(cascade[1].GetProperty("label").GetString(), ServingFixture.Makes["audi"]);
            }
            Assert.Equal(BuildInfo.CodeVersion, body.GetProperty("codeVersion").GetString());
            Assert.Equal(BuildInfo.CodeVersion, response.Headers.GetValues(ApiHeaders.CodeVersion).Single());
            Assert.Equal(string.Join(", ", cascade.Select(s => $"{s.GetProperty("skill").GetString()}@{s.GetProperty("skillVersion").GetInt32()}")),
                response.Headers.GetValues(ApiHeaders.SkillVersions).Single());
        }
        Assert.True(twoStage >= audis.Count / 2, $"only {twoStage} of {audis.Count} Audi photos reached the variant stage");
    }

    [Fact]
    public async Task Classify_MultipartForm_SameAnswerAsRawBody()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var photo = await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0]);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(photo), "image", "car.jpg" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = form };
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);

        var (status, fromForm, _) = await SendAsync(server, request);
        var (_, raw, _) = await SendAsync(server, Classify(photo, "application/octet-stream", fixture.Key));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(raw.GetProperty("cascade").ToString(), fromForm.GetProperty("cascade").ToString());
    }

    [Theory]
    [InlineData("lake_rainbow.jpg")]
    [InlineData("zidane.jpg")]
    public async Task Classify_NoVehiclePhoto_NoCascade(string scene)
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);

        var (status, body, response) = await SendAsync(server, Classify(await File.ReadAllBytesAsync(TestAssets.Scene(scene)), "image/jpeg", fixture.Key));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("vehicle").GetProperty("detected").GetBoolean());
        Assert.Empty(body.GetProperty("cascade").EnumerateArray());
        Assert.Equal("none", body.GetProperty("input").GetString());
        Assert.Equal("", response.Headers.GetValues(ApiHeaders.SkillVersions).Single());
    }

    [Fact]
    public async Task Classify_NoVehicleWithWholeImageRequested_ClassifiesTheWholePhotoAndSaysSo()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var photo = await File.ReadAllBytesAsync(TestAssets.Scene("lake_rainbow.jpg"));
        var request = Classify(photo, "image/jpeg", fixture.Key);
        request.RequestUri = new Uri("/v1/classify?wholeImage=true", UriKind.Relative);

        var (status, body, _) = await SendAsync(server, request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("vehicle").GetProperty("detected").GetBoolean());
        Assert.Equal("whole-image", body.GetProperty("input").GetString());
        Assert.NotEmpty(body.GetProperty("cascade").EnumerateArray());
    }

    [Fact]
    public async Task Classify_BadInputs_RightStatusWithProblemDetailsAndServerKeepsServing()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var photo = await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0]);
        var (_, revoked) = await Revoked();

        var cases = new (string Name, HttpRequestMessage Request, HttpStatusCode Status, string Says)[]
        {
            ("no key", Classify(photo, "image/jpeg", null), HttpStatusCode.Unauthorized, "X-Api-Key"),
            ("wrong key", Classify(photo, "image/jpeg", "smk_api_wrong"), HttpStatusCode.Unauthorized, "unknown or has been revoked"),
            ("revoked key", Classify(photo, "image/jpeg", revoked), HttpStatusCode.Unauthorized, "unknown or has been revoked"),
            ("empty body", Classify([], "image/jpeg", fixture.Key), HttpStatusCode.BadRequest, "no image"),
            ("truncated jpeg", Classify(photo[..(photo.Length / 2)], "image/jpeg", fixture.Key), HttpStatusCode.BadRequest, "truncated"),
            ("html as image", Classify(Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>not a photo</body></html>"), "image/jpeg", fixture.Key), HttpStatusCode.BadRequest, "Expected a JPEG"),
            ("png bomb", Classify(PngBomb.Create(20_000, 20_000), "image/png", fixture.Key), HttpStatusCode.RequestEntityTooLarge, "too many pixels"),
            ("wrong content type", Classify(photo, "text/plain", fixture.Key), HttpStatusCode.UnsupportedMediaType, "text/plain"),
            ("no content type", Classify(photo, null, fixture.Key), HttpStatusCode.UnsupportedMediaType, "Content-Type"),
            ("too many bytes", Classify(new byte[17 << 20], "image/jpeg", fixture.Key), HttpStatusCode.RequestEntityTooLarge, "limit"),
        };
        foreach (var (name, request, expected, says) in cases)
        {
            var (status, body, response) = await SendAsync(server, request);
            Assert.True(expected == status, $"{name}: {status}, expected {expected}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: {response.Content.Headers.ContentType}");
            Assert.Contains(says, body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        var (after, _, _) = await SendAsync(server, Classify(photo, "image/jpeg", fixture.Key));
        Assert.Equal(HttpStatusCode.OK, after);
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("skillmaker_classify_requests_total{status=\"401\"} 3", metrics);
        Assert.Contains("skillmaker_classify_requests_total{status=\"413\"} 2", metrics);
    }

    private async Task<(string Name, string Key)> Revoked()
    {
        var name = $"gone{Guid.NewGuid():N}"[..12];
        var key = (await CliRunner.RunAsync(fixture.Root, "api-keys", "add", name, "--json")).Json.GetProperty("key").GetString()!;
        Assert.Equal(0, (await CliRunner.RunAsync(fixture.Root, "api-keys", "revoke", name)).ExitCode);
        return (name, key);
    }

    [Fact]
    public async Task Operations_ReadyzMetricsOpenApi_DescribeTheServedVersions()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var (status, _, _) = await SendAsync(server, Classify(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0]), "image/jpeg", fixture.Key));

        var ready = JsonDocument.Parse(await server.Client.GetStringAsync("/readyz")).RootElement;
        var metrics = await server.Client.GetStringAsync("/metrics");
        var openApi = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json")).RootElement;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, ready.GetProperty("skills").GetProperty("make").GetInt32());
        Assert.Equal(1, ready.GetProperty("skills").GetProperty("audi-variant").GetInt32());
        Assert.Contains("skillmaker_skill_version{skill=\"make\"} 1", metrics);
        Assert.Contains("skillmaker_classify_requests_total{status=\"200\"}", metrics);
        Assert.Contains("skillmaker_skill_duration_seconds_count{skill=\"make\",version=\"1\"}", metrics);
        Assert.Contains("skillmaker_detector_duration_seconds_bucket{le=\"+Inf\"}", metrics);
        var classify = openApi.GetProperty("paths").GetProperty("/v1/classify").GetProperty("post");
        Assert.True(classify.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(classify.GetProperty("responses").TryGetProperty("413", out _));
    }

    [Fact]
    public async Task BuildAsync_SkillWithoutProductionVersion_FailsAtStartNamingIt()
    {
        var config = new ServingConfig { Cascade = new CascadeStage { Skill = "make", Next = new Dictionary<string, CascadeStage> { ["bmw"] = new() { Skill = "bmw-variant" } } } };

        var error = await Assert.ThrowsAsync<SkillmakerException>(() => ServingFixture.StartAsync(fixture.Root, config));

        Assert.Contains("skill 'bmw-variant' has no production version", error.Message);
        Assert.Contains("skillmaker promote bmw-variant@VERSION", error.Message);
    }

    [Fact]
    public async Task BuildAsync_PackageFileMissing_FailsAtStartWithThePath()
    {
        var root = fixture.Clone();
        var package = Path.Combine(root, ".skillmaker", "skills", "audi-variant", "1");
        var head = Directory.GetFiles(package).Single(f => Path.GetFileName(f).StartsWith("head.", StringComparison.Ordinal));
        File.Delete(head);

        var error = await Assert.ThrowsAsync<SkillmakerException>(() => ServingFixture.StartAsync(root));

        Assert.Contains(package, error.Message);
        Assert.Contains(Path.GetFileName(head), error.Message);
    }
}
