using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skillmaker.Detection;
using Skillmaker.Server;
using Skillmaker.Serving;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Workspaces;
using Skillmaker.Promotion;
using Skillmaker.Host;

namespace Skillmaker.Bench;

/// <summary>The inference API under load from <c>wrk</c> (a second process, loopback): a real skill
/// trained on the car photos and promoted, served by the same host `skillmaker serve` builds, and one car
/// photo posted over and over. Reports requests/s, p50/p99 and errors at 64 connections (target: zero
/// errors), and the server's p50 at one connection against <see cref="ClassifyPipeline.Classify"/> called
/// in-process on the same image in the same run (target: overhead at most 15%).
/// Arguments: [seconds=15] [connections=64]. Needs wrk on PATH (Debian: apt install wrk).</summary>
internal static class ServeBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var wrk = FindOnPath("wrk") ?? throw new InvalidOperationException("wrk not found on PATH; install it (Debian: apt install wrk).");
        var assets = BenchSupport.Assets();
        var root = Path.Combine(Path.GetTempPath(), $"sm-bench-serve-{Guid.NewGuid():N}");
        try
        {
            var workspace = await Workspace.InitAsync(root, 20261123, CancellationToken.None);
            await using var line = await LineServices.OpenAsync(workspace, BenchSupport.Context(assets), CancellationToken.None);
            var setup = Stopwatch.StartNew();
            var skill = await TrainAndPromoteAsync(line, assets);
            var (_, key) = await line.ApiKeys().AddAsync("bench", CancellationToken.None);
            var servingPath = Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName);
            await File.WriteAllTextAsync(servingPath, $$"""{ "cascade": { "skill": "{{skill}}" } }""");
            Console.WriteLine($"serve benchmark: {Environment.ProcessorCount} cores; skill '{skill}' trained and promoted in {setup.Elapsed.TotalSeconds:F0} s");

            var inference = await line.PrepareInferenceAsync(servingPath, CancellationToken.None, new DetectorOverrides { Model = Path.Combine(assets, "detector", "yolov8n_int8.onnx") });
            await using var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0", Inference = inference }, CancellationToken.None);
            var address = new Uri(app.Addresses()[0]);

            // One photo with a car, so every request runs the detector and the skill.
            var photo = Directory.GetFiles(Path.Combine(assets, "cars"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
            var bytes = await File.ReadAllBytesAsync(photo);
            var pipeline = app.Services.GetRequiredService<ClassifyPipeline>();
            if (pipeline.Classify(bytes).Cascade.Count == 0) throw new InvalidOperationException($"{photo}: no vehicle found; the benchmark needs a car photo.");
            using (var http = new HttpClient { BaseAddress = address })
                for (var i = 0; i < 20; i++) await PostAsync(http, key, bytes);

            // In-process: the same pipeline object the endpoint calls, one call at a time.
            var inProcess = new List<double>();
            var until = Stopwatch.StartNew();
            while (until.Elapsed.TotalSeconds < Math.Max(5, seconds / 2.0))
            {
                var started = Stopwatch.GetTimestamp();
                pipeline.Classify(bytes);
                inProcess.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            var inProcessP50 = BenchSupport.Median(inProcess);

            var script = Path.Combine(root, "classify.lua");
            await File.WriteAllTextAsync(script, WrkScript(photo, key));
            var single = await RunWrkAsync(wrk, address, script, 1, 1, seconds);
            var loaded = await RunWrkAsync(wrk, address, script, connections, 2, seconds);

            var overhead = single.P50Ms / inProcessP50 - 1;
            Console.WriteLine($"  photo {Path.GetFileName(photo)} ({bytes.Length / 1024} KiB); requests with an API key, JSON answers");
            Console.WriteLine($"  in-process ClassifyPipeline: {inProcess.Count} calls, p50 {inProcessP50:F1} ms");
            Console.WriteLine($"  wrk   1 connection : {single.RequestsPerSecond,7:F1} req/s, p50 {single.P50Ms:F1} ms, p99 {single.P99Ms:F1} ms, errors {single.Errors}");
            Console.WriteLine($"  wrk {connections,3} connections: {loaded.RequestsPerSecond,7:F1} req/s, p50 {loaded.P50Ms:F1} ms, p99 {loaded.P99Ms:F1} ms, errors {loaded.Errors} ({loaded.Requests} requests in {seconds} s)");
            Console.WriteLine($"  server overhead at p50 (1 connection vs in-process): {overhead:P1} (target <= 15%); errors at {connections} connections: {loaded.Errors} (target 0)");
            // wrk leaves requests queued when its time is up; a graceful stop lets them finish.
            await app.StopAsync();
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record WrkResult(long Requests, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors);

    private static async Task PostAsync(HttpClient http, string key, byte[] bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("image/jpeg");
        request.Headers.Add("X-Api-Key", key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    // wrk posts the photo and, when done, prints its own summary as one JSON line (latency in microseconds).
    private static string WrkScript(string photo, string key) => $$"""
        local f = assert(io.open("{{photo.Replace("\\", "\\\\", StringComparison.Ordinal)}}", "rb"))
        wrk.method = "POST"
        wrk.body = f:read("*all")
        f:close()
        wrk.headers["Content-Type"] = "image/jpeg"
        wrk.headers["X-Api-Key"] = "{{key}}"
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format('WRKJSON {"requests":%d,"duration":%d,"p50":%d,"p99":%d,"errors":%d}\n',
            summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
            e.connect + e.read + e.write + e.status + e.timeout))
        end
        """;

    private static async Task<WrkResult> RunWrkAsync(string wrk, Uri address, string script, int connections, int threads, int seconds)
    {
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                     "-d", $"{seconds}s", "--timeout", "30s", "-s", script, new Uri(address, "/v1/classify").ToString() })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("WRKJSON ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk exited {process.ExitCode} without a summary: {error}{output}");
        var json = JsonDocument.Parse(line["WRKJSON ".Length..]).RootElement;
        var requests = json.GetProperty("requests").GetInt64();
        return new WrkResult(requests, requests / (json.GetProperty("duration").GetInt64() / 1e6),
            json.GetProperty("p50").GetInt64() / 1000.0, json.GetProperty("p99").GetInt64() / 1000.0, json.GetProperty("errors").GetInt64());
    }

    /// <summary>The example 13-variant skill without augmented copies (they only slow the set-up),
    /// trained on the car photos and promoted to production.</summary>
    internal static async Task<string> TrainAndPromoteAsync(LineServices line, string assets)
    {
        await BenchSupport.IngestCarsAsync(line, assets);
        var workspace = line.Workspace;
        var example = TrainBenchmark.FindExample();
        var config = JsonNode.Parse(await File.ReadAllTextAsync(example))!.AsObject();
        config["augmentations"] = new JsonObject { ["copiesPerImage"] = 0 };
        var configPath = Path.Combine(workspace.Root, Path.GetFileName(example));
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        File.Copy(Path.Combine(Path.GetDirectoryName(example)!, config["definition"]!.GetValue<string>()), Path.Combine(workspace.Root, config["definition"]!.GetValue<string>()));

        var skill = await SkillConfigLoader.LoadAsync(configPath, line.Context.Environment, CancellationToken.None);
        var training = line.Trainer();
        using var prepared = await training.PrepareAsync(skill, null, null, null, CancellationToken.None);
        var trained = await training.TrainAsync(prepared, null, CancellationToken.None);
        var promoted = await line.Promotion().PromoteAsync(new PromotionRequest(new SkillRef(trained.Package.Name, trained.Package.Version), "bench"), null, CancellationToken.None);
        if (!promoted.Promoted) throw new InvalidOperationException($"promotion refused: {promoted.Decision}");
        return trained.Package.Name;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
