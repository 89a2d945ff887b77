using System.Text.Json;
using System.Text.Json.Nodes;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;
using Skillmaker.Training;

namespace Skillmaker.Tests.Jobs;

/// <summary>Embeddings as batch jobs: in a server-mode workspace, train and train-all hand the embeddings
/// missing from the cache to the workers and train on what comes back.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EmbedJobsTests(PostgresFixture postgres, S3rverFixture s3)
{
    [Fact]
    public async Task TrainAll_ServerModeWithAWorker_EachEmbeddingComputedOnceOnTheWorkerAndHeadsEqualLocalTraining()
    {
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject { ["batchSize"] = 32, ["pollIntervalSeconds"] = 0.2 }, seed: 11);
        var root = server.Workspace.Root;
        Check(await server.CliAsync("ingest", TestAssets.Cars, "-s", "stanford-cars", "--labels-from-folders", "--local"));
        var configs = Path.Combine(root, "configs");
        Directory.CreateDirectory(configs);
        await File.WriteAllTextAsync(Path.Combine(configs, "makes4.dataset.json"), JsonSerializer.Serialize(new
        {
            name = "makes4", imageKind = "original", allowLabelHints = true, testFraction = 0.25,
            classes = TrainingFixture.MakesClasses.Select(c => new { name = c, labels = new[] { c } }),
        }));
        // Augmented copies too: their keys (steps, seed, copy, donor) must be made alike on both sides.
        await File.WriteAllTextAsync(Path.Combine(configs, "a.json"), TrainingFixture.SkillConfigJson("pair-a", "makes4.dataset.json", """{ "type": "logistic" }""", copies: 1));
        await File.WriteAllTextAsync(Path.Combine(configs, "b.json"), TrainingFixture.SkillConfigJson("pair-b", "makes4.dataset.json", """{ "type": "knn", "params": { "k": 3 } }""", copies: 1));
        await using var worker = server.StartWorker("w");
        await ServerWorkspace.ReadyAsync(worker);

        var onWorkers = Check(await server.CliAsync("train-all", "configs/a.json", "configs/b.json", "--threads", "2", "--json"));

        var skills = onWorkers.Json.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("result")).ToList();
        Assert.Equal(2, skills.Count);
        // The trainer ran the backbone for no embedding: the worker computed every one, once, for
        // whichever skill asked first (the other found it claimed and waited for it).
        Assert.All(skills, s => Assert.Equal(0, s.GetProperty("embeddings").GetProperty("backboneRuns").GetInt32()));
        var needed = skills[0].GetProperty("embeddings").GetProperty("requested").GetInt32();
        Assert.Equal(needed, skills[1].GetProperty("embeddings").GetProperty("requested").GetInt32());
        var fromWorkers = skills.Select(s => s.TryGetProperty("embeddingsOnWorkers", out var w) && w.ValueKind == JsonValueKind.Object ? w : (JsonElement?)null).OfType<JsonElement>().ToList();
        Assert.NotEmpty(fromWorkers);
        Assert.Equal(needed, fromWorkers.Sum(w => w.GetProperty("requested").GetInt32()));
        Assert.Equal(needed, fromWorkers.Sum(w => w.GetProperty("computed").GetInt32()));
        Assert.Contains($"{EmbedJobs.Kind} embed-", worker.Error);

        // The same training in this process, from scratch, gives the same head bit for bit.
        Directory.Delete(Path.Combine(root, ".skillmaker", "embeddings"), recursive: true);
        var local = Check(await server.CliAsync("train", "configs/a.json", "--threads", "1", "--local", "--json")).Json;
        Assert.Equal(needed, local.GetProperty("embeddings").GetProperty("computed").GetInt32());
        Assert.True(!local.TryGetProperty("embeddingsOnWorkers", out var none) || none.ValueKind == JsonValueKind.Null);
        Assert.Equal(skills[0].GetProperty("headSha256").GetString(), local.GetProperty("headSha256").GetString());
        Assert.Equal(skills[0].GetProperty("metrics").GetProperty("accuracy").GetDouble(), local.GetProperty("metrics").GetProperty("accuracy").GetDouble());
    }

    private static CliResult Check(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}\n{result.Out}");
        return result;
    }
}
