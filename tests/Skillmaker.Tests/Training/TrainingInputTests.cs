
namespace Skillmaker.Tests.Training;

/// <summary>Bad skill configs fail before any long work, with the field and what was expected. No
/// photos are ingested here: every error must come before embeddings would start.</summary>
public sealed class TrainingInputTests : IDisposable
{
    private readonly TempDir _dir = new("train-input");

    public TrainingInputTests()
    {
        Assert.Equal(0, CliRunner.RunAsync(_dir.Path, "init", "--seed", "3").GetAwaiter().GetResult().ExitCode);
        File.WriteAllText(_dir.File("cars.dataset.json"), """{ "name": "cars", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true }""");
    }

    private async Task<CliResult> TrainAsync(string network, string extra = "", params string[] args)
    {
        File.WriteAllText(_dir.File("skill.json"), $$"""
            { "name": "cars", "definition": "cars.dataset.json", "network": {{network}}, "profiles": { "laptop": { "threads": 1 } } {{extra}} }
            """);
        return await CliRunner.RunAsync(_dir.Path, ["train", "skill.json", .. args]);
    }

    private static string Network(string output = "features", string head = """{ "type": "logistic" }""", string preprocessing = "{}") =>
        $$"""{ "backbone": { "path": "${SKILLMAKER_ASSETS}/backbone/mobilenetv2-12-int8-features.onnx", "output": "{{output}}", "preprocessing": {{preprocessing}} }, "head": {{head}} }""";

    [Fact]
    public async Task Train_OutputNameNotInModel_ListsTheOutputsItHas()
    {
        var result = await TrainAsync(Network(output: "embedding"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("network.backbone.output: 'embedding' is not an output of mobilenetv2-12-int8-features.onnx; it has: output [batch,1000], features [batch,1280]", result.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".skillmaker", "embeddings")));
    }

    [Fact]
    public async Task Train_PreprocessingNotMatchingInputShape_SaysBoth()
    {
        var result = await TrainAsync(Network(preprocessing: """{ "width": 256, "height": 256 }"""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("network.backbone.preprocessing: 256x256 nchw gives tensors [batch,3,256,256], but input 'input' of mobilenetv2-12-int8-features.onnx has shape [batch,3,224,224]", result.Error);
    }

    [Fact]
    public async Task Train_NhwcLayoutForNchwModel_Refused()
    {
        var result = await TrainAsync(Network(preprocessing: """{ "layout": "nhwc" }"""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[batch,224,224,3]", result.Error);
    }

    [Fact]
    public async Task Train_UnknownHead_ListsHeads()
    {
        var result = await TrainAsync(Network(head: """{ "type": "xgboost" }"""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("network.head.type: 'xgboost' is not a head; allowed: logistic, lightgbm, knn, linear-svm, naive-bayes, lda", result.Error);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    public async Task Train_CoverageOutsideRange_NamesFieldAndExpected(string coverage)
    {
        var result = await TrainAsync(Network(), $$""", "serving": { "coverage": {{coverage}} }""");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"serving.coverage: {coverage} is outside (0, 1]", result.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".skillmaker", "skills")));
    }

    [Fact]
    public async Task Train_UnknownOpenSetMethod_ListsMethods()
    {
        var result = await TrainAsync(Network(), """, "serving": { "openSet": "energy" }""");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("serving.openSet: 'energy' is not an open-set method; allowed: relative-mahalanobis, mahalanobis, knn, none", result.Error);
    }

    [Fact]
    public async Task Train_UnknownHeadParameter_NamesFieldAndAllowed()
    {
        var result = await TrainAsync(Network(head: """{ "type": "knn", "params": { "neighbours": 3 } }"""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("network.head.params.neighbours", result.Error);
        Assert.Contains("knn takes: k, weighting", result.Error);
    }

    [Fact]
    public async Task Train_UnknownProfile_ListsProfiles()
    {
        var result = await TrainAsync(Network(), "", "--profile", "gpu-server");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Profile 'gpu-server' is not in", result.Error);
        Assert.Contains("it has: laptop", result.Error);
    }

    [Fact]
    public async Task Train_DefinitionWithOneClass_NeedsTwo()
    {
        File.WriteAllText(_dir.File("one.dataset.json"), """{ "name": "one", "classes": [ { "name": "m3", "labels": ["bmw_m3_coupe_2012"] } ] }""");
        File.WriteAllText(_dir.File("skill.json"), $$"""{ "name": "cars", "definition": "one.dataset.json", "network": {{Network()}} }""");

        var result = await CliRunner.RunAsync(_dir.Path, "train", "skill.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("definition.classes: only one class ('m3'); a skill needs at least two", result.Error);
    }

    [Fact]
    public async Task Train_EmptyCatalog_ExplainsBeforeEmbedding()
    {
        var result = await TrainAsync(Network());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("at least two", result.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".skillmaker", "skills", "cars")) && Directory.GetDirectories(Path.Combine(_dir.Path, ".skillmaker", "skills", "cars")).Length > 0);
    }

    [Fact]
    public async Task Train_SeveralProblems_AllReportedWithFieldPaths()
    {
        var result = await TrainAsync(Network(head: """{ "type": "logistic", "params": { "l2": -1 } }""", preprocessing: """{ "std": [0.2, 0, 0.2], "resize": "shorter-side", "crop": "none" }"""),
            """, "augmentations": { "copiesPerImage": 99 }, "gate": { "latencyTolerance": -0.5 }, "notify": { "slackWebhook": "not a url" } """);

        Assert.Equal(1, result.ExitCode);
        foreach (var expected in new[] { "network.head.params.l2: -1 must be 0 or more", "network.backbone.preprocessing.std[1]: 0 must be positive",
                     "network.backbone.preprocessing.crop: 'none' with resize 'shorter-side'", "augmentations.copiesPerImage: 99 is outside 0..50",
                     "gate.latencyTolerance: -0.5 is outside", "notify.slackWebhook: 'not a url' is not an http(s) URL" })
            Assert.Contains(expected, result.Error);
    }

    [Fact]
    public async Task Train_UnknownField_NamesItsPath()
    {
        var result = await TrainAsync(Network(), """, "augmentation": { "copiesPerImage": 1 }""");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("augmentation", result.Error);
        Assert.Contains("not valid at", result.Error);
    }

    [Fact]
    public async Task Train_MissingBackboneFile_SaysWhere()
    {
        var network = Network().Replace("${SKILLMAKER_ASSETS}/backbone/mobilenetv2-12-int8-features.onnx", "models/none.onnx", StringComparison.Ordinal);

        var result = await TrainAsync(network);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"network.backbone.path: {Path.Combine(_dir.Path, "models", "none.onnx")} does not exist", result.Error);
    }

    public void Dispose() => _dir.Dispose();
}
