using System.Text.Json;
using System.Text.Json.Nodes;
using Skillmaker.Datasets;
using Skillmaker.Training;

namespace Skillmaker.Tests.Training;

/// <summary>Training on every labelled item, evaluated by k-fold cross-validation, on real car photos.</summary>
public sealed class CrossValidationTests : IDisposable
{
    private readonly TempDir _dir = new("cv");
    private string Root => Path.Combine(_dir.Path, "ws");

    public void Dispose() => _dir.Dispose();

    private async Task<string> WorkspaceAsync(string definitionJson, int? folds)
    {
        Directory.CreateDirectory(Root);
        Assert.Equal(0, (await CliRunner.RunAsync(Root, "init", "--seed", "7")).ExitCode);
        var photos = TestAssets.CarPhotos().Where(p => Path.GetFileName(Path.GetDirectoryName(p)) is "audi_s4_sedan_2012" or "tesla_model_s_sedan_2012");
        var manifest = Path.Combine(_dir.Path, "photos.csv");
        await File.WriteAllLinesAsync(manifest, ["path,label", .. photos.Select(p => $"{p},{Path.GetFileName(Path.GetDirectoryName(p))}")]);
        var ingest = await CliRunner.RunAsync(Root, "ingest", "--manifest", manifest, "--source", "stanford", "--manifest-root", TestAssets.Dir);
        Assert.True(ingest.ExitCode == 0, ingest.Error);
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "two.dataset.json"), definitionJson);
        var config = JsonNode.Parse(TrainingFixture.SkillConfigJson("two", "two.dataset.json", """{ "type": "logistic" }"""))!;
        if (folds is { } k) config["evaluation"] = new JsonObject { ["folds"] = k };
        var path = Path.Combine(_dir.Path, "two.skill.json");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Train_TestFractionZeroWithFiveFolds_TrainsOnEveryItemAndRecordsTheCrossValidation()
    {
        var config = await WorkspaceAsync("""{ "name": "two", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "testFraction": 0 }""", folds: 5);

        var result = await CliRunner.RunAsync(Root, "train", config, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var package = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Root, ".skillmaker", "skills", "two", "1", "skill.json"))).RootElement;
        Assert.Equal(56, package.GetProperty("training").GetProperty("trainImages").GetInt32());
        var by = package.GetProperty("evaluatedBy");
        Assert.Equal("cross-validation", by.GetProperty("method").GetString());
        Assert.Equal(5, by.GetProperty("folds").GetInt32());
        Assert.Equal(56, by.GetProperty("crossValidationImages").GetInt32());
        var folds = by.GetProperty("foldAccuracies").EnumerateArray().Select(a => a.GetDouble()).ToList();
        Assert.Equal(5, folds.Count);
        Assert.Equal(folds.Average(), by.GetProperty("crossValidationAccuracy").GetDouble(), 9);
        Assert.True(by.GetProperty("crossValidationAccuracyStd").GetDouble() >= 0);
        // Two makes this different are told apart well above chance (0.5) on photos the fold did not train on.
        Assert.True(by.GetProperty("crossValidationAccuracy").GetDouble() > 0.75, $"cross-validation accuracy {by.GetProperty("crossValidationAccuracy")}");
        Assert.Equal(56, package.GetProperty("metrics").GetProperty("testImages").GetInt32());
        Assert.True(package.GetProperty("metrics").GetProperty("latencyP50Ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Train_TestFractionZeroWithoutFolds_SaysHowToEvaluate()
    {
        var config = await WorkspaceAsync("""{ "name": "two", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "testFraction": 0 }""", folds: null);

        var result = await CliRunner.RunAsync(Root, "train", config);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("evaluation.folds", result.Error);
    }

    [Fact]
    public async Task Train_TestOnlyDefinition_NamesTheRoleNotZeroUsableClasses()
    {
        var config = await WorkspaceAsync("""{ "name": "two", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "role": "test" }""", folds: null);

        var result = await CliRunner.RunAsync(Root, "train", config);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("definition.role", result.Error);
        Assert.Contains("skillmaker eval", result.Error);
        Assert.DoesNotContain("usable class", result.Error);
        Assert.False(Directory.Exists(Path.Combine(Root, ".skillmaker", "skills", "two")));
    }

    [Fact]
    public void Assign_ItemsInSets_NoSetStraddlesTwoFoldsAndFoldsAreEven()
    {
        var items = Enumerable.Range(0, 40).Select(i => new ManifestItem($"img{i:00}", null, i % 2 == 0 ? "a" : "b", Split.Train, $"set:{i / 4}")).ToList();

        var folds = CrossValidation.Assign(items, 5, seed: 3);

        foreach (var set in items.Select((item, i) => (item.Group, Fold: folds[i])).GroupBy(x => x.Group))
            Assert.Single(set.Select(x => x.Fold).Distinct());
        Assert.All(Enumerable.Range(0, 5), f => Assert.Equal(8, folds.Count(x => x == f)));
        Assert.Throws<Common.SkillmakerException>(() => CrossValidation.Assign(items, 11, seed: 3));
    }
}
