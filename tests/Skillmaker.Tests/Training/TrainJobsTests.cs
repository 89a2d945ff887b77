using System.Text.Json;
using System.Text.Json.Nodes;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Training;

namespace Skillmaker.Tests.Training;

/// <summary>train-all and eval as one job per skill, and the shared skill store that lets a version
/// trained on a worker be listed, evaluated and promoted from any machine.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TrainJobsTests(PostgresFixture postgres, S3rverFixture s3)
{
    [Fact]
    public async Task TrainAllThenEval_ServerModeWithAWorker_OneJobPerSkillAndPackagesUsableFromAnotherMachine()
    {
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject { ["pollIntervalSeconds"] = 0.2 }, seed: 5);
        var root = server.Workspace.Root;
        Check(await server.CliAsync("ingest", TestAssets.Cars, "-s", "stanford-cars", "--labels-from-folders", "--local"));
        var configs = await WriteConfigsAsync(root);
        await using var worker = server.StartWorker("trainer");
        await ServerWorkspace.ReadyAsync(worker);

        // Submitted and left; followed later with jobs wait, which ends the run as train-all would have.
        var submitted = Check(await server.CliAsync("train-all", "configs/a.json", "configs/b.json", "--detach", "--json")).Json;
        Assert.True(submitted.GetProperty("detached").GetBoolean());
        Assert.Equal(2, submitted.GetProperty("batches").GetInt32());
        var trainAll = Check(await server.CliAsync("jobs", "wait", submitted.GetProperty("runId").GetString()!, "--json")).Json;

        var results = trainAll.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("result")).ToList();
        Assert.Equal(["pair-a", "pair-b"], results.Select(r => r.GetProperty("skill").GetString()));
        Assert.All(results, r => Assert.Equal(1, r.GetProperty("version").GetInt32()));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("trainedOn").GetString())));
        // The worker embedded each image once (the second skill found the first's in the worker's cache); this machine computed none.
        var requested = results[0].GetProperty("embeddings").GetProperty("requested").GetInt32();
        Assert.Equal(requested, results.Sum(r => r.GetProperty("embeddings").GetProperty("computed").GetInt32()));
        var embeddings = Path.Combine(root, ".skillmaker", "embeddings");
        Assert.False(Directory.Exists(embeddings) && Directory.EnumerateFiles(embeddings, "*", SearchOption.AllDirectories).Any());
        Assert.Contains("pair-a v1 trained and published", worker.Error);
        Assert.Contains("pair-b v1 trained and published", worker.Error);
        // Each package was fetched into this workspace, report included, exactly as the worker made it.
        var packageA = results[0].GetProperty("package").GetString()!;
        Assert.Equal(Path.Combine(root, ".skillmaker", "skills", "pair-a", "1"), packageA);
        Assert.True(new FileInfo(Path.Combine(packageA, "report.pdf")).Length > 10_000);

        // The same config trained here gets the next number from the shared index and the same head.
        var local = Check(await server.CliAsync("train", "configs/a.json", "--local", "--json")).Json;
        Assert.Equal(2, local.GetProperty("version").GetInt32());
        Assert.Equal(results[0].GetProperty("headSha256").GetString(), local.GetProperty("headSha256").GetString());

        // Another machine: the same config, its own empty folder, and no backbone at the path the packages name.
        File.Delete(configs.Backbone);
        var elsewhere = Path.Combine(Path.GetDirectoryName(root)!, "other-machine");
        Directory.CreateDirectory(Path.Combine(elsewhere, ".skillmaker"));
        File.Copy(server.Workspace.Workspace.ConfigPath, Path.Combine(elsewhere, ".skillmaker", "config.json"));
        Task<CliResult> There(params string[] args) => CliRunner.RunAsync(elsewhere, server.Environment.ToDictionary(e => e.Key, e => (string?)e.Value), CancellationToken.None, args);

        var listed = Check(await There("skills", "list", "--json")).Json.GetProperty("skills").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToList());
        Assert.Equal([1, 2], listed["pair-a"]);
        Assert.Equal([1], listed["pair-b"]);

        var eval = Check(await There("eval", "pair-a@1", "pair-b@1", "--json")).Json.GetProperty("evaluations").EnumerateArray().ToList();
        Assert.All(eval, e => Assert.True(e.GetProperty("ok").GetBoolean()));
        Assert.Equal(results[0].GetProperty("metrics").GetProperty("accuracy").GetDouble(), eval[0].GetProperty("evaluation").GetProperty("accuracy").GetDouble());
        Assert.Equal(results[1].GetProperty("metrics").GetProperty("accuracy").GetDouble(), eval[1].GetProperty("evaluation").GetProperty("accuracy").GetDouble());
        Assert.All(eval, e => Assert.StartsWith(Path.Combine(elsewhere, ".skillmaker", "evaluations"), e.GetProperty("path").GetString()));
        Assert.Contains("pair-b v1 evaluated", worker.Error);

        var promote = Check(await There("promote", "pair-b@1", "--json")).Json;
        Assert.True(promote.GetProperty("promoted").GetBoolean());
        // The backbone was not where the package says, so it came from the blob store, beside the package.
        Assert.True(File.Exists(Path.Combine(elsewhere, ".skillmaker", "skills", "pair-b", "1", "features.onnx")));
    }

    [Fact]
    public async Task TrainJobRunAsync_RunAgainBeforeAndAfterPublishing_OneVersionUnderTheFirstNumber()
    {
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject(), seed: 5);
        var ws = server.Workspace;
        Check(await server.CliAsync("ingest", TestAssets.Cars, "-s", "stanford-cars", "--labels-from-folders", "--local"));
        var configs = await WriteConfigsAsync(ws.Root);
        var index = WorkspaceStorage.SkillIndex(ws.Catalog);
        var line = ws.Line(ws.Context with { Environment = _ => null });
        var here = line.Training;
        var skill = await SkillConfigLoader.LoadAsync(configs.A, name => server.Environment.GetValueOrDefault(name) ?? System.Environment.GetEnvironmentVariable(name), CancellationToken.None);
        TrainJobItem item;
        using (var prepared = await line.Trainer().PrepareAsync(skill, null, 2, null, CancellationToken.None))
        {
            await BlobFileCache.StageAsync(ws.Blobs, prepared.BackboneFile, prepared.BackboneSha256, "Backbone", CancellationToken.None);
            item = TrainJobs.ItemOf(prepared, null, 2);
        }
        using var workerDir = new TempDir("worker");
        // A worker's own folders: its skills and embeddings under its cache folder.
        var handler = ws.Line(ws.Context with { Environment = _ => null, OnWorker = true, CacheDirectory = workerDir.Path }).TrainJobs();
        var batch = new JobBatch { Kind = TrainJobs.Kind, RunId = "train-retry", Index = 0, Batches = 1, Workspace = WorkspaceRef.Of(ws.Workspace), Payload = JobJson.Write(new[] { item }) };
        // The first attempt reserved its number and died; meanwhile another trainer took the next one.
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(1, (await index.ReserveAsync("pair-a", "train-retry/0", 1, now, CancellationToken.None)).Version);
        Assert.Equal(2, (await index.ReserveAsync("pair-a", "laptop:other", 1, now, CancellationToken.None)).Version);

        var second = Read(await handler.RunAsync(batch, "{}", CancellationToken.None));
        // The second attempt published, then its worker died before the queue heard of it: a third attempt
        // on a fresh machine finds the package instead of training again.
        Directory.Delete(Path.Combine(workerDir.Path, "skills"), recursive: true);
        var third = Read(await handler.RunAsync(batch, "{}", CancellationToken.None));

        Assert.Equal((1, 1), (second.Package.Version, third.Package.Version));
        Assert.True(second.Embeddings.Computed > 0);
        Assert.Equal(0, third.Embeddings.Requested);
        Assert.Equal(second.Package.Head.Sha256, third.Package.Head.Sha256);
        Assert.Equal(second.Evaluation.Accuracy, third.Evaluation.Accuracy);
        var published = Assert.Single(await index.ListPublishedAsync("pair-a", CancellationToken.None));
        Assert.Equal("train-retry/0", published.Owner);
        await using var connection = await ((SqlCatalog)ws.Catalog).OpenAsync(CancellationToken.None);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM evaluations WHERE skill = 'pair-a' AND version = 1";
        Assert.Equal(1L, Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        // This machine lists and loads the worker's package.
        Assert.Equal(second.Package.Head.Sha256, (await here.Skills.ReadInfoAsync(new Skills.SkillRef("pair-a", 1), CancellationToken.None)).Head.Sha256);
    }

    private sealed record Configs(string A, string B, string Backbone);

    /// <summary>Two skills on four makes, on a copy of the backbone inside the workspace (so a test can take it away).</summary>
    private static async Task<Configs> WriteConfigsAsync(string root)
    {
        var configs = Path.Combine(root, "configs");
        Directory.CreateDirectory(configs);
        var backbone = Path.Combine(configs, "features.onnx");
        File.Copy(Path.Combine(TestAssets.Dir, "backbone", "mobilenetv2-12-int8-features.onnx"), backbone);
        await File.WriteAllTextAsync(Path.Combine(configs, "makes4.dataset.json"), JsonSerializer.Serialize(new
        {
            name = "makes4", imageKind = "original", allowLabelHints = true, testFraction = 0.25,
            classes = TrainingFixture.MakesClasses.Select(c => new { name = c, labels = new[] { c } }),
        }));
        var a = Path.Combine(configs, "a.json");
        await File.WriteAllTextAsync(a, TrainingFixture.SkillConfigJson("pair-a", "makes4.dataset.json", """{ "type": "logistic" }""", backbone: "features.onnx"));
        var b = Path.Combine(configs, "b.json");
        await File.WriteAllTextAsync(b, TrainingFixture.SkillConfigJson("pair-b", "makes4.dataset.json", """{ "type": "knn", "params": { "k": 3 } }""", backbone: "features.onnx"));
        return new Configs(a, b, backbone);
    }

    private static TrainResult Read(string json) => JsonSerializer.Deserialize<TrainResult>(json, Skills.SkillJson.Options)!;

    private static CliResult Check(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}\n{result.Out}");
        return result;
    }
}
