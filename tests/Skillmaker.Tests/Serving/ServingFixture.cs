using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Skillmaker.Detection;
using Skillmaker.Server;
using Skillmaker.Host;
using Skillmaker.Serving;
using Skillmaker.Skills;
using Skillmaker.Vision.Detection;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Serving;

[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<ServingFixture>
{
    public const string Name = "serving";
}

/// <summary>A workspace with the real car photos and two real skills trained on them and promoted:
/// <c>make</c> (7 makes) and <c>audi-variant</c> (the 3 Audi classes), a second <c>make</c> version
/// (a KNN head) for promotion tests, an API key, and the cascade make → audi-variant for Audis.</summary>
public sealed class ServingFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string[]> Makes = new()
    {
        ["audi"] = ["audi_s4_sedan_2007", "audi_s4_sedan_2012", "audi_s5_coupe_2012"],
    };

    private readonly TempDir _dir = new("serving");
    private readonly List<TempDir> _clones = [];

    public string Root => Path.Combine(_dir.Path, "ws");
    public string Key { get; private set; } = "";
    public string CascadePath => Path.Combine(Root, ".skillmaker", ServingConfig.DefaultFileName);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Check(await CliRunner.RunAsync(Root, "init", "--seed", "5"));
        Check(await CliRunner.RunAsync(Root, "ingest", TestAssets.Cars, "--source", "stanford-cars", "--labels-from-folders"));
        var labels = Directory.GetDirectories(TestAssets.Cars).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var makes = labels.GroupBy(l => l![..l!.IndexOf('_')]).Select(g => new { name = g.Key, labels = g.ToArray() });
        await File.WriteAllTextAsync(Path.Combine(Root, "makes.dataset.json"), JsonSerializer.Serialize(new { name = "makes", imageKind = "original", allowLabelHints = true, testFraction = 0.25, classes = makes }));
        await File.WriteAllTextAsync(Path.Combine(Root, "audi.dataset.json"), JsonSerializer.Serialize(new
        {
            name = "audi", imageKind = "original", allowLabelHints = true, testFraction = 0.25,
            classes = Makes["audi"].Select(c => new { name = c, labels = new[] { c } }),
        }));
        await File.WriteAllTextAsync(Path.Combine(Root, "make.json"), SkillConfig("make", "makes.dataset.json", """{ "type": "logistic" }"""));
        await File.WriteAllTextAsync(Path.Combine(Root, "make-knn.json"), SkillConfig("make", "makes.dataset.json", """{ "type": "knn" }"""));
        await File.WriteAllTextAsync(Path.Combine(Root, "audi-variant.json"), SkillConfig("audi-variant", "audi.dataset.json", """{ "type": "logistic" }"""));
        Check(await CliRunner.RunAsync(Root, "train", "make.json", "--json"));
        Check(await CliRunner.RunAsync(Root, "train", "audi-variant.json", "--json"));
        Check(await CliRunner.RunAsync(Root, "train", "make-knn.json", "--json"));
        Check(await CliRunner.RunAsync(Root, "promote", "make@1", "--json"));
        Check(await CliRunner.RunAsync(Root, "promote", "audi-variant@1", "--json"));
        Key = Check(await CliRunner.RunAsync(Root, "api-keys", "add", "tests", "--json")).Json.GetProperty("key").GetString()!;
        await File.WriteAllTextAsync(CascadePath, """
            { "cascade": { "skill": "make", "next": { "audi": { "skill": "audi-variant" } } }, "refreshSeconds": 0.2 }
            """);
    }

    private static string SkillConfig(string name, string definition, string head) => $$"""
        {
          "name": "{{name}}",
          "definition": "{{definition}}",
          "network": {
            "backbone": { "path": "${SKILLMAKER_ASSETS}/backbone/mobilenetv2-12-int8-features.onnx", "output": "features", "preprocessing": { "resize": "stretch", "crop": "none" } },
            "head": {{head}}
          },
          "profiles": { "default": { "batchSize": 16, "threads": 2 } },
          "serving": { "abstainBelow": 0.5, "topK": 3 }
        }
        """;

    /// <summary>A copy of the workspace for a test that changes the registry.</summary>
    public string Clone()
    {
        var clone = new TempDir("serving-clone");
        lock (_clones) _clones.Add(clone);
        Common.DirectoryCopy.Recursive(Root, Path.Combine(clone.Path, "ws"));
        return Path.Combine(clone.Path, "ws");
    }

    /// <summary>The server as `skillmaker serve` builds it, listening on a free loopback port.</summary>
    public static async Task<RunningServer> StartAsync(string root, ServingConfig? config = null, string? detector = null)
    {
        var workspace = await Workspace.OpenAsync(root, CancellationToken.None);
        var line = await LineServices.OpenAsync(workspace, new LineContext { Logging = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Environment = System.Environment.GetEnvironmentVariable }, CancellationToken.None);
        try
        {
            var store = line.Training.Skills;
            var inference = new InferenceSetup(config ?? ServingConfig.Load(Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName)),
                YoloDetector.Shared(detector ?? TestAssets.Detector, null, 0), new DetectorSettings(), new PackageSkillLoader((s, v, ct) => store.FindAsync(new SkillRef(s, v), ct)));
            var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0", Inference = inference }, CancellationToken.None);
            return new RunningServer(app, line, new Uri(app.Addresses()[0]));
        }
        catch
        {
            await line.DisposeAsync();
            throw;
        }
    }

    private static CliResult Check(CliResult result) => result.ExitCode == 0 ? result
        : throw new InvalidOperationException($"fixture command failed ({result.ExitCode}): {result.Error}\n{result.Out}");

    public Task DisposeAsync()
    {
        foreach (var c in _clones) c.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class RunningServer(WebApplication app, LineServices line, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;
    public HttpClient Client { get; } = new() { BaseAddress = address };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await line.DisposeAsync();
    }
}
