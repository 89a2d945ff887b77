using Skillmaker.Ingest;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Workers;
using Skillmaker.Training;

namespace Skillmaker.Tests.Training;

/// <summary>The embedding index shared through the catalog and the blob store: a machine with an empty
/// cache takes what another machine computed instead of running the backbone again.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedEmbeddingsTests(PostgresFixture postgres, S3rverFixture s3)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task TrainAsync_SecondMachineWithEmptyCache_ComputesNoEmbeddingAndTrainsTheSameHead()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3, seed: 7);
        var photos = IsolatedMachinesTests.CopyPhotos(Path.Combine(ws.Root, "photos"), perClass: 6);
        await ws.Ingest().RunAsync(new IngestRequest { Paths = [photos], Source = "cars", LabelsFromFolders = true }, null, None);
        await IsolatedMachinesTests.WriteConfigsAsync(ws.Root);
        using var a = new TempDir("machine-a");
        using var b = new TempDir("machine-b");

        var first = await TrainOnAsync(ws, a.Path);
        var second = await TrainOnAsync(ws, b.Path);

        Assert.True(first.Embeddings.Computed > 0);
        Assert.Equal(first.Embeddings.Requested, second.Embeddings.Requested);
        Assert.Equal(0, second.Embeddings.Computed);
        Assert.Equal(second.Embeddings.Requested, second.Embeddings.CacheHits);
        Assert.Equal((1, 2), (first.Package.Version, second.Package.Version));
        Assert.Equal(first.Package.Head.Sha256, second.Package.Head.Sha256);
        Assert.Equal(first.Evaluation.Accuracy, second.Evaluation.Accuracy);
    }

    /// <summary>Trains pair-a as a machine whose cache (embeddings, packages) is <paramref name="cache"/>.</summary>
    private static async Task<TrainResult> TrainOnAsync(TestWorkspace ws, string cache)
    {
        var line = ws.Line(ws.Context with { OnWorker = true, CacheDirectory = cache });
        var skill = await SkillConfigLoader.LoadAsync(Path.Combine(ws.Root, "configs", "pair-a.json"), Environment.GetEnvironmentVariable, None);
        var trainer = line.Trainer();
        using var prepared = await trainer.PrepareAsync(skill, null, 2, null, None);
        return await trainer.TrainAsync(prepared, null, null, None);
    }
}
