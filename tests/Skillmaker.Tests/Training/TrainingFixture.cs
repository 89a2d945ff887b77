using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Training;

[CollectionDefinition(Name)]
public sealed class TrainingCollection : ICollectionFixture<TrainingFixture>
{
    public const string Name = "training";
}

/// <summary>One workspace with the 364 real car photos, trained once for all training tests (the
/// backbone runs on each photo once, then the cache serves): the 13-class skill <c>car-variants</c>
/// cold (v1) and warm (v2), and a 4-class skill <c>makes</c> in three versions for the gate: v1 a weak
/// head, v2 a good head, v3 the good head on a deliberately slower backbone with zero latency
/// tolerance. Tests that change the registry work on a clone of the workspace.</summary>
public sealed class TrainingFixture : IAsyncLifetime
{
    public const string Backbone = "${SKILLMAKER_ASSETS}/backbone/mobilenetv2-12-int8-features.onnx";
    public static readonly string[] MakesClasses = ["audi_s4_sedan_2012", "bmw_m3_coupe_2012", "ford_f_150_regular_cab_2012", "tesla_model_s_sedan_2012"];
    private readonly TempDir _dir = new("train");
    private readonly List<TempDir> _clones = [];
    private HttpListener? _webhook;

    public string Root => Path.Combine(_dir.Path, "ws");
    public string Configs => Path.Combine(_dir.Path, "configs");
    public string WebhookUrl { get; private set; } = "";
    /// <summary>Bodies of the webhook posts received, in order.</summary>
    public ConcurrentQueue<JsonElement> WebhookPosts { get; } = new();

    public CliResult ColdTrain { get; private set; } = null!;
    public CliResult WarmTrain { get; private set; } = null!;
    public CliResult MakesWeak { get; private set; } = null!;
    public CliResult MakesGood { get; private set; } = null!;
    public CliResult MakesSlow { get; private set; } = null!;

    public string CarsConfig => Path.Combine(Configs, "car-variants.json");

    public async Task InitializeAsync()
    {
        StartWebhook();
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Configs);
        Check(await CliRunner.RunAsync(Root, "init", "--seed", "11"));
        Check(await CliRunner.RunAsync(Root, "ingest", TestAssets.Cars, "--source", "stanford-cars", "--labels-from-folders"));
        SlowBackbone.Create(TestAssets.Backbone, Path.Combine(Configs, "slow-backbone.onnx"));
        await File.WriteAllTextAsync(Path.Combine(Configs, "cars13.dataset.json"), """
            { "name": "cars13", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "testFraction": 0.25 }
            """);
        await File.WriteAllTextAsync(Path.Combine(Configs, "makes4.dataset.json"), JsonSerializer.Serialize(new
        {
            name = "makes4", imageKind = "original", allowLabelHints = true, testFraction = 0.25,
            classes = MakesClasses.Select(c => new { name = c, labels = new[] { c } }),
        }));
        await File.WriteAllTextAsync(CarsConfig, ConfigJson("car-variants", "cars13.dataset.json", """{ "type": "logistic" }""", copies: 1));
        await File.WriteAllTextAsync(Path.Combine(Configs, "makes-weak.json"), ConfigJson("makes", "makes4.dataset.json", """{ "type": "lightgbm", "params": { "iterations": 1, "leaves": 2 } }""", notify: true));
        await File.WriteAllTextAsync(Path.Combine(Configs, "makes-good.json"), ConfigJson("makes", "makes4.dataset.json", """{ "type": "logistic" }""", notify: true));
        await File.WriteAllTextAsync(Path.Combine(Configs, "makes-slow.json"), ConfigJson("makes", "makes4.dataset.json", """{ "type": "logistic" }""",
            notify: true, latencyTolerance: 0, backbone: "slow-backbone.onnx", output: SlowBackbone.Output));

        ColdTrain = Check(await CliRunner.RunAsync(Root, "train", CarsConfig, "--json"));
        WarmTrain = Check(await CliRunner.RunAsync(Root, "train", CarsConfig, "--json"));
        MakesWeak = Check(await CliRunner.RunAsync(Root, "train", Path.Combine(Configs, "makes-weak.json"), "--json"));
        MakesGood = Check(await CliRunner.RunAsync(Root, "train", Path.Combine(Configs, "makes-good.json"), "--json"));
        MakesSlow = Check(await CliRunner.RunAsync(Root, "train", Path.Combine(Configs, "makes-slow.json"), "--json"));
    }

    /// <summary>A skill config on the real backbone. Tight car crops keep their ends with stretch.</summary>
    public string ConfigJson(string name, string definition, string head, int copies = 0, bool notify = false, double latencyTolerance = 0.5,
        string backbone = Backbone, string output = "features", string profile = DefaultProfile) =>
        SkillConfigJson(name, definition, head, copies, notify ? WebhookUrl : null, latencyTolerance, backbone, output, profile);

    public const string DefaultProfile = """{ "default": { "batchSize": 16, "threads": 2 } }""";

    /// <summary>A skill config on the real backbone, for workspaces other than the fixture's.</summary>
    public static string SkillConfigJson(string name, string definition, string head, int copies = 0, string? notifyUrl = null, double latencyTolerance = 0.5,
        string backbone = Backbone, string output = "features", string profile = DefaultProfile) => $$"""
        {
          "name": "{{name}}",
          "definition": "{{definition}}",
          "network": {
            "backbone": { "path": "{{backbone}}", "output": "{{output}}", "preprocessing": { "resize": "stretch", "crop": "none" } },
            "head": {{head}}
          },
          "augmentations": { "copiesPerImage": {{copies}} },
          "profiles": {{profile}},
          "gate": { "minAccuracyDelta": 0, "latencyTolerance": {{latencyTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }
          {{(notifyUrl is not null ? $$""", "notify": { "slackWebhook": "{{notifyUrl}}", "attempts": 1 }""" : "")}}
        }
        """;

    /// <summary>A copy of the trained workspace for a test that changes it (aliases, statuses).</summary>
    public string Clone()
    {
        var clone = new TempDir("train-clone");
        lock (_clones) _clones.Add(clone);
        Common.DirectoryCopy.Recursive(Root, Path.Combine(clone.Path, "ws"));
        return Path.Combine(clone.Path, "ws");
    }

    private static CliResult Check(CliResult result)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"fixture command failed ({result.ExitCode}): {result.Error}\n{result.Out}");
        return result;
    }

    private void StartWebhook()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            WebhookUrl = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/hook/";
        }
        _webhook = new HttpListener();
        _webhook.Prefixes.Add(WebhookUrl);
        _webhook.Start();
        _ = Task.Run(async () =>
        {
            while (_webhook.IsListening)
            {
                HttpListenerContext context;
                try { context = await _webhook.GetContextAsync(); }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                using (var reader = new StreamReader(context.Request.InputStream))
                    WebhookPosts.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });
    }

    public Task DisposeAsync()
    {
        _webhook?.Close();
        foreach (var c in _clones) c.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
