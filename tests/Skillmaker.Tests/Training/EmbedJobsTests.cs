using System.Text.Json;
using System.Text.Json.Nodes;
using Skillmaker.Tests.Support;
using Skillmaker.Training;

namespace Skillmaker.Tests.Training;

/// <summary>Embeddings as batch jobs: in a server-mode workspace, train hands the embeddings missing from
/// the cache to the workers and trains on what comes back.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EmbedJobsTests(PostgresFixture postgres, S3rverFixture s3)
{
    [Fact]
    public async Task Train_ServerModeWithAWorker_EachEmbeddingComputedOnTheWorkerAndHeadEqualsLocalTraining()
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
        await using var worker = server.StartWorker("w");
        await ServerWorkspace.ReadyAsync(worker);

        var onWorkers = Check(await server.CliAsync("train", "configs/a.json", "--threads", "2", "--json")).Json;

        // The trainer ran the backbone for no embedding: the worker computed every one, once.
        Assert.Equal(0, onWorkers.GetProperty("embeddings").GetProperty("backboneRuns").GetInt32());
        var needed = onWorkers.GetProperty("embeddings").GetProperty("requested").GetInt32();
        var fromWorkers = onWorkers.GetProperty("embeddingsOnWorkers");
        Assert.Equal(needed, fromWorkers.GetProperty("requested").GetInt32());
        Assert.Equal(needed, fromWorkers.GetProperty("computed").GetInt32());
        Assert.True(fromWorkers.GetProperty("batches").GetInt32() >= needed / 32);
        Assert.Contains($"{EmbedJobs.Kind} embed-", worker.Error);

        // Another machine (no cache of its own) takes every vector from the shared index: the backbone never runs.
        Directory.Delete(Path.Combine(root, ".skillmaker", "embeddings"), recursive: true);
        var imported = Check(await server.CliAsync("train", "configs/a.json", "--threads", "1", "--local", "--json")).Json;
        Assert.Equal((0, needed), (imported.GetProperty("embeddings").GetProperty("computed").GetInt32(), imported.GetProperty("embeddings").GetProperty("cacheHits").GetInt32()));
        Assert.Equal(onWorkers.GetProperty("headSha256").GetString(), imported.GetProperty("headSha256").GetString());

        // The same training in this process, from scratch (no cache, the shared index forgotten), gives the same head bit for bit.
        Directory.Delete(Path.Combine(root, ".skillmaker", "embeddings"), recursive: true);
        await using (var connection = await ((Skillmaker.Storage.SqlCatalog)server.Workspace.Catalog).OpenAsync(CancellationToken.None))
        {
            await using var forget = connection.CreateCommand();
            forget.CommandText = "DELETE FROM artefacts WHERE kind = 'embedding'";
            Assert.True(await forget.ExecuteNonQueryAsync(CancellationToken.None) >= needed);
        }
        var local = Check(await server.CliAsync("train", "configs/a.json", "--threads", "1", "--local", "--json")).Json;
        Assert.Equal(needed, local.GetProperty("embeddings").GetProperty("computed").GetInt32());
        Assert.True(!local.TryGetProperty("embeddingsOnWorkers", out var none) || none.ValueKind == JsonValueKind.Null);
        Assert.Equal(onWorkers.GetProperty("headSha256").GetString(), local.GetProperty("headSha256").GetString());
        Assert.Equal(onWorkers.GetProperty("metrics").GetProperty("accuracy").GetDouble(), local.GetProperty("metrics").GetProperty("accuracy").GetDouble());
        Assert.Equal(3, local.GetProperty("version").GetInt32());
    }

    private static CliResult Check(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}\n{result.Out}");
        return result;
    }
}
