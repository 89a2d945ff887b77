using System.Text.Json.Nodes;
using Skillmaker.Tests.Training;

namespace Skillmaker.Tests.Evaluation;

/// <summary><c>eval NAME@VERSION --dataset DEF.json</c>: a skill trained on one source, evaluated on an
/// outside labelled test set of real car photos, with the leakage and class checks.</summary>
public sealed class ExternalTestSetTests : IAsyncLifetime
{
    private static readonly string[] Classes = ["audi_s4_sedan_2012", "tesla_model_s_sedan_2012"];
    private readonly TempDir _dir = new("external");
    private string Root => Path.Combine(_dir.Path, "ws");

    private static string ClassOf(string path) => Path.GetFileName(Path.GetDirectoryName(path))!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Check(await CliRunner.RunAsync(Root, "init", "--seed", "5"));
        var photos = TestAssets.CarPhotos().Where(p => Classes.Contains(ClassOf(p))).GroupBy(ClassOf).ToList();
        // 20 photos of each class from the dealer; the other 8 from outside, plus 2 of the dealer's photos again.
        await IngestAsync("dealer", photos.SelectMany(g => g.Take(20)));
        await IngestAsync("outside", photos.SelectMany(g => g.Skip(20)).Concat(photos.Select(g => g.First())));
        await IngestAsync("other", TestAssets.CarPhotos().Where(p => ClassOf(p) == "bmw_m3_coupe_2012").Take(6));
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "dealer.dataset.json"),
            """{ "name": "dealer", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "sources": ["dealer"], "testFraction": 0.25 }""");
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "skill.json"), TrainingFixture.SkillConfigJson("two", "dealer.dataset.json", """{ "type": "logistic" }"""));
        Check(await CliRunner.RunAsync(Root, "train", Path.Combine(_dir.Path, "skill.json")));
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private async Task IngestAsync(string source, IEnumerable<string> photos)
    {
        var manifest = Path.Combine(_dir.Path, $"{source}.csv");
        await File.WriteAllLinesAsync(manifest, ["path,label", .. photos.Select(p => $"{p},{ClassOf(p)}")]);
        Check(await CliRunner.RunAsync(Root, "ingest", "--manifest", manifest, "--source", source, "--manifest-root", TestAssets.Dir));
    }

    private static CliResult Check(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error + result.Out);
        return result;
    }

    private async Task<string> DefinitionAsync(string name, string json)
    {
        var path = Path.Combine(_dir.Path, name + ".json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    [Fact]
    public async Task Eval_OutsideTestSetWithTwoTrainingPhotos_RefusedByNameThenEvaluatedWithoutThem()
    {
        var outside = await DefinitionAsync("outside",
            """{ "name": "outside", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "sources": ["outside"], "role": "test" }""");

        var refused = await CliRunner.RunAsync(Root, "eval", "two@1", "--dataset", outside);
        var evaluated = Check(await CliRunner.RunAsync(Root, "eval", "two@1", "--dataset", outside, "--exclude-leaked", "--json"));

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("2 of 18 test item(s) leak", refused.Error);
        Assert.Contains("--exclude-leaked", refused.Error);
        Assert.Contains("the image was in training", refused.Error);
        var evaluation = JsonNode.Parse(evaluated.Out)!["evaluations"]![0]!["evaluation"]!;
        Assert.Equal(16, (int)evaluation["images"]!);
        Assert.Equal(2, evaluation["classes"]!.AsArray().Count);
        Assert.InRange((double)evaluation["accuracy"]!, 0.5, 1.0);
        Assert.Equal(2, evaluated.Error.Split('\n').Count(l => l.Contains("left out")));
    }

    [Fact]
    public async Task Eval_TestSetWithAClassTheSkillDoesNotKnow_NamesWhatIsMissingOnEachSide()
    {
        var other = await DefinitionAsync("other",
            """{ "name": "other", "imageKind": "original", "classes": [ { "name": "bmw_m3_coupe_2012", "labels": ["bmw_m3_coupe_2012"] }, { "name": "tesla_model_s_sedan_2012", "labels": ["tesla_model_s_sedan_2012"] } ], "allowLabelHints": true, "sources": ["other", "outside"], "role": "test" }""");

        var result = await CliRunner.RunAsync(Root, "eval", "two@1", "--dataset", other);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("classes missing from the skill: bmw_m3_coupe_2012", result.Error);
        Assert.Contains("classes of the skill missing from the test set: audi_s4_sedan_2012", result.Error);
    }

    [Fact]
    public async Task Eval_TrainDefinitionAsTestSet_NamesTheRole()
    {
        var train = await DefinitionAsync("train",
            """{ "name": "outside-train", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "sources": ["outside"] }""");

        var result = await CliRunner.RunAsync(Root, "eval", "two@1", "--dataset", train);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("role", result.Error);
        Assert.Contains("\"role\": \"test\"", result.Error);
    }
}
