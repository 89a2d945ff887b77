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
        { "lda", "{}" },
        { "lda", """{ "shrinkage": 0.2, "normalize": "none", "priors": "uniform" }""" },
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
    public async Task LdaHead_FullShrinkageUniformPriors_PicksNearestClassMeanOfUnitEmbeddings()
    {
        // With Σ = a scaled identity and equal priors, the discriminant is the nearest class mean (Euclidean,
        // on unit embeddings): an independent check of the Woodbury-free path and of the biases.
        var (train, test, classes) = await EmbeddingsAsync(fixture);
        static float[] Unit(float[] v) { var n = MathF.Sqrt(v.Sum(x => x * x)); return [.. v.Select(x => x / n)]; }
        var spec = new HeadSpec { Type = "lda", Params = JsonDocument.Parse("""{ "shrinkage": 1, "priors": "uniform" }""").RootElement };
        var head = HeadFactory.Train(spec, new HeadTrainingData([.. train.Select(t => t.Vector)], [.. train.Select(t => t.Label)], classes), 1).Head;
        var means = Enumerable.Range(0, classes).Select(c =>
        {
            var rows = train.Where(t => t.Label == c).Select(t => Unit(t.Vector)).ToList();
            return Enumerable.Range(0, rows[0].Length).Select(j => rows.Average(r => r[j])).ToArray();
        }).ToList();

        var predicted = head.Predict([.. test.Select(t => t.Vector)]);

        for (var i = 0; i < test.Count; i++)
        {
            var x = Unit(test[i].Vector);
            var nearest = Enumerable.Range(0, classes).MinBy(c => x.Zip(means[c], (a, b) => (a - (double)b) * (a - b)).Sum());
            Assert.Equal(nearest, Array.IndexOf(predicted[i], predicted[i].Max()));
        }
    }

    [Fact]
    public async Task LdaHead_ShrinkageFromWoodbury_MatchesDenseCovarianceSolve()
    {
        // Σ⁻¹μ computed in Woodbury form (rows × rows) against a dense D×D solve on a 16-dimensional slice.
        var (train, _, classes) = await EmbeddingsAsync(fixture);
        var rows = train.Take(60).Select(t => (Vector: t.Vector[..16], t.Label)).ToList();
        var spec = new HeadSpec { Type = "lda", Params = JsonDocument.Parse("""{ "shrinkage": 0.3, "normalize": "none", "priors": "uniform" }""").RootElement };
        var head = (LdaHead)HeadFactory.Train(spec, new HeadTrainingData([.. rows.Select(r => r.Vector)], [.. rows.Select(r => r.Label)], classes), 1).Head;
        var present = rows.Select(r => r.Label).Distinct().Order().ToList();
        var means = present.ToDictionary(c => c, c => Enumerable.Range(0, 16).Select(j => rows.Where(r => r.Label == c).Average(r => (double)r.Vector[j])).ToArray());
        var scatter = new double[16, 16];
        foreach (var (v, l) in rows)
            for (var a = 0; a < 16; a++)
                for (var b = 0; b < 16; b++)
                    scatter[a, b] += (v[a] - means[l][a]) * (v[b] - means[l][b]) / rows.Count;
        var trace = Enumerable.Range(0, 16).Sum(a => scatter[a, a]);
        var sigma = new double[16, 16];
        for (var a = 0; a < 16; a++)
            for (var b = 0; b < 16; b++)
                sigma[a, b] = 0.7 * scatter[a, b] + (a == b ? 0.3 * trace / 16 : 0);
        var query = train[^1].Vector[..16];

        var logits = head.Logits([query])[0];

        // Dense: logit_c = xᵀΣ⁻¹μ_c − ½μ_cᵀΣ⁻¹μ_c (+ the same log prior for every class); compare differences.
        double Dense(int c) { var w = Solve(sigma, means[c]); return query.Select((x, j) => x * w[j]).Sum() - 0.5 * means[c].Select((m, j) => m * w[j]).Sum(); }
        foreach (var c in present.Skip(1))
            Assert.Equal(Dense(c) - Dense(present[0]), logits[c] - logits[present[0]], 2);
    }

    [Fact]
    public async Task HeadFactory_LdaWithoutShrinkage_ChoosesItByGroupedCrossValidationAndRecordsIt()
    {
        var (train, test, classes) = await EmbeddingsAsync(fixture);
        var data = new HeadTrainingData([.. train.Select(t => t.Vector)], [.. train.Select(t => t.Label)], classes, Groups: [.. train.Select((_, i) => i)]);

        var trained = HeadFactory.Train(new HeadSpec { Type = "lda" }, data, 1);

        var recorded = Assert.IsType<JsonElement>(trained.Params);
        var chosen = recorded.GetProperty("shrinkage").GetDouble();
        Assert.Contains(chosen, LdaHead.ShrinkageGrid);
        Assert.Equal("cross-validation", recorded.GetProperty("shrinkageBy").GetString());
        var accuracies = recorded.GetProperty("crossValidationAccuracy").EnumerateObject().ToDictionary(p => double.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetDouble());
        Assert.Equal(LdaHead.ShrinkageGrid.Count, accuracies.Count);
        Assert.Equal(accuracies.Values.Max(), accuracies[chosen]);
        // The chosen head is the one a fixed shrinkage gives.
        var fixedSpec = new HeadSpec { Type = "lda", Params = JsonDocument.Parse($$"""{ "shrinkage": {{chosen.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }""").RootElement };
        Assert.Equal(HeadFactory.Train(fixedSpec, data, 1).File, trained.File);
    }

    [Theory]
    [InlineData("""{ "shrinkage": 0 }""", "network.head.params.shrinkage: 0 is outside (0, 1]")]
    [InlineData("""{ "shrinkage": 1.5 }""", "network.head.params.shrinkage: 1.5 is outside (0, 1]")]
    [InlineData("""{ "normalize": "zscore" }""", "network.head.params.normalize: 'zscore' is not allowed; use l2 or none")]
    public void HeadParams_LdaBadParameter_NamesFieldAndExpected(string parameters, string expected)
    {
        var spec = new HeadSpec { Type = "lda", Params = JsonDocument.Parse(parameters).RootElement };

        var ex = Assert.Throws<SkillmakerException>(() => HeadParams.Parse(spec));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void HeadFactory_CorruptLdaFile_Explains()
    {
        var ex = Assert.Throws<SkillmakerException>(() => HeadFactory.Load("lda", "SMLDA001"u8.ToArray().Concat(new byte[20]).ToArray(), 4));

        Assert.Contains("lda head", ex.Message);
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var p = 0; p < n; p++)
            for (var r = p + 1; r < n; r++)
            {
                var f = m[r, p] / m[p, p];
                for (var c = p; c < n; c++) m[r, c] -= f * m[p, c];
                x[r] -= f * x[p];
            }
        for (var r = n - 1; r >= 0; r--)
        {
            for (var c = r + 1; c < n; c++) x[r] -= m[r, c] * x[c];
            x[r] /= m[r, r];
        }
        return x;
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
