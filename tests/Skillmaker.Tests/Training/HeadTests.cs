using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Storage;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Training;

/// <summary>Every head type on the real car embeddings (from the fixture's cache).</summary>
[Collection(TrainingCollection.Name)]
public sealed class HeadTests(TrainingFixture fixture)
{
    public static TheoryData<string, string> Heads => new()
    {
        { "logistic", "{}" },
        { "logistic", """{ "trainer": "sdca" }""" },
        { "lightgbm", """{ "iterations": 30 }""" },
        { "knn", "{}" },
        { "linear-svm", "{}" },
        { "naive-bayes", "{}" },
        { "naive-bayes", """{ "varSmoothing": 0.1, "priors": "uniform" }""" },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task HeadFactory_SameRowsTwice_ByteIdenticalFileAndUsefulPredictions(string type, string parameters)
    {
        var (train, test, classes) = await EmbeddingsAsync(fixture);
        var spec = new HeadSpec { Type = type, Params = JsonDocument.Parse(parameters).RootElement };
        var data = new HeadTrainingData([.. train.Select(t => t.Vector)], [.. train.Select(t => t.Label)], classes);

        var first = HeadFactory.Train(spec, data, seed: 5);
        var second = HeadFactory.Train(spec, data, seed: 5);
        var loaded = HeadFactory.Load(type, first.File, classes);
        var probabilities = loaded.Predict([.. test.Select(t => t.Vector)]);

        Assert.Equal(first.File, second.File);
        Assert.All(probabilities, p => Assert.Equal(1.0, p.Sum(), 3));
        Assert.Equal(first.Head.Predict([test[0].Vector])[0], probabilities[0]);
        var correct = test.Select((t, i) => Array.IndexOf(probabilities[i], probabilities[i].Max()) == t.Label).Count(c => c);
        // Four classes (chance 25%): every head type must be clearly better than chance.
        Assert.True(correct > test.Count * 0.4, $"{type}: {correct} of {test.Count} correct");
    }

    [Fact]
    public void HeadFactory_CorruptFile_Explains()
    {
        var ex = Assert.Throws<SkillmakerException>(() => HeadFactory.Load("knn", [1, 2, 3], 4));

        Assert.Contains("not a Skillmaker knn head", ex.Message);
    }

    /// <summary>The makes skill's manifest rows with their cached embeddings (4 classes).</summary>
    internal static async Task<(List<(float[] Vector, int Label)> Train, List<(float[] Vector, int Label)> Test, int Classes)> EmbeddingsAsync(TrainingFixture fixture)
    {
        var workspace = await Workspace.OpenAsync(fixture.Root, CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        var manifest = await WorkspaceStorage.DatasetStore(catalog).GetManifestAsync(fixture.MakesGood.Json.GetProperty("manifestId").GetString()!, CancellationToken.None);
        var spec = new BackboneSpec { Path = TestAssets.Backbone, Output = "features", Preprocessing = new PreprocessingSpec { Resize = ResizeMode.Stretch, Crop = CropMode.None } };
        using var backbone = Backbone.Open(TestAssets.Backbone, spec, 1);
        var embedder = new Embedder(backbone, await Sha256Hex.OfFileAsync(TestAssets.Backbone, CancellationToken.None), new EmbeddingCache(Path.Combine(workspace.StateDirectory, "embeddings")),
            (_, _) => throw new InvalidOperationException("every embedding must come from the fixture's cache"), new EmbedderOptions());
        var items = manifest!.Items.OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var (vectors, stats) = await embedder.EmbedAsync([.. items.Select(i => new EmbeddingRequest(i.ImageId))], null, CancellationToken.None);
        Assert.Equal(0, stats.Computed);
        var rows = items.Select((item, i) => (item.Split, Row: (vectors[i], manifest.Classes.ToList().IndexOf(item.Class)))).ToList();
        return ([.. rows.Where(r => r.Split == Split.Train).Select(r => r.Row)], [.. rows.Where(r => r.Split == Split.Test).Select(r => r.Row)], manifest.Classes.Count);
    }
}
