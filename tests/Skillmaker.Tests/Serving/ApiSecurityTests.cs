using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

/// <summary>Regression tests for issue 22's findings on the inference API's keys and its OpenAPI document.</summary>
[Collection(ServingCollection.Name)]
public sealed class ApiSecurityTests(ServingFixture fixture)
{
    private static async Task<HttpStatusCode> ClassifyAsync(RunningServer server, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0])) };
        request.Content.Headers.ContentType = new("image/jpeg");
        request.Headers.Add(ApiHeaders.ApiKey, key);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<(string Name, string Key)> AddKeyAsync()
    {
        var name = $"k{Guid.NewGuid():N}"[..12];
        return (name, (await CliRunner.RunAsync(fixture.Root, "api-keys", "add", name, "--json")).Json.GetProperty("key").GetString()!);
    }

    [Fact]
    public async Task Classify_KeyRevokedWhileServing_RefusedAtTheNextRequest()
    {
        // Issue 22: a revoked key went on working for ~30 s.
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var (name, key) = await AddKeyAsync();
        Assert.Equal(HttpStatusCode.OK, await ClassifyAsync(server, key));

        Assert.Equal(0, (await CliRunner.RunAsync(fixture.Root, "api-keys", "revoke", name)).ExitCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await ClassifyAsync(server, key));
    }

    [Fact]
    public async Task Classify_KeyRevokedWithACacheConfigured_RefusedOnceTheCacheTimeHasPassed()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root, ServingConfig.Load(fixture.CascadePath) with { ApiKeyCacheSeconds = 1 });
        var (name, key) = await AddKeyAsync();
        Assert.Equal(HttpStatusCode.OK, await ClassifyAsync(server, key));
        var accepted = Stopwatch.StartNew();

        Assert.Equal(0, (await CliRunner.RunAsync(fixture.Root, "api-keys", "revoke", name)).ExitCode);
        var cached = await ClassifyAsync(server, key);
        await Task.Delay(TimeSpan.FromSeconds(1.2) - accepted.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);

        // Within the configured second the key may still be trusted; after it, never.
        Assert.True(cached == HttpStatusCode.OK || accepted.Elapsed > TimeSpan.FromSeconds(1), $"{cached} within the cache time");
        Assert.Equal(HttpStatusCode.Unauthorized, await ClassifyAsync(server, key));
    }

    [Fact]
    public async Task OpenApi_ServedDocument_LintsWithoutErrorsKeyedClassifyNoPagesAndMetrics()
    {
        await using var server = await ServingFixture.StartAsync(fixture.Root);
        var text = await server.Client.GetStringAsync("/openapi/v1.json");
        using var dir = new TempDir("openapi");
        var file = dir.File("openapi.json");
        await File.WriteAllTextAsync(file, text);
        var document = JsonDocument.Parse(text).RootElement;

        var (exit, output) = await RedoclyLintAsync(file, dir.Path);

        Assert.True(exit == 0, $"redocly lint exit {exit}:\n{output}");
        Assert.Contains("Woohoo! Your API description is valid.", output, StringComparison.Ordinal);
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal(ApiHeaders.ApiKey, scheme.GetProperty("name").GetString());
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["/healthz", "/metrics", "/readyz", "/v1/classify"], paths);
        var classify = document.GetProperty("paths").GetProperty("/v1/classify").GetProperty("post");
        Assert.True(classify.GetProperty("security")[0].TryGetProperty("apiKey", out _));
        foreach (var path in document.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject())
                Assert.False(string.IsNullOrWhiteSpace(operation.Value.GetProperty("summary").GetString()), $"{operation.Name} {path.Name} has a summary");
    }

    /// <summary>Runs `redocly lint` (installed by .ci/install-deps into .ci/tools) on the file; its exit code is
    /// non-zero when the document has an error.</summary>
    private static async Task<(int ExitCode, string Output)> RedoclyLintAsync(string file, string workingDirectory)
    {
        var binary = ToolBinary("redocly");
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in new[] { "lint", file, "--format", "stylish" }) start.ArgumentList.Add(a);
        // No network: no telemetry, no update check.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output + await error);
    }

    private static string ToolBinary(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "tools", "node_modules", ".bin", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{name} not found under .ci/tools; run .ci/install-deps");
    }
}
