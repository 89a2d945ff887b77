using System.Diagnostics;
using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Skills;
using Skillmaker.Vision.Imaging;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class TrainTests(TrainingFixture fixture)
{
    private const string BackboneSha256 = "28a37e3f2fa97254af5f86d15db3bfd62ec61a567138de13aaf3b209a6e404b1";

    [Fact]
    public void Train_CarsThirteenClasses_WritesCompletePackage()
    {
        var json = fixture.ColdTrain.Json;
        var dir = json.GetProperty("package").GetString()!;

        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Equal(Path.Combine(fixture.Root, ".skillmaker", "skills", "car-variants", "1"), dir);
        Assert.Equal(["evaluation.json", "head.mlnet.zip", "openset.bin", "report.pdf", "skill-config.json", "skill.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var info = SkillPackage.ReadInfo(dir);
        Assert.Equal(13, info.Labels.Count);
        Assert.Equal("logistic", info.Head.Type);
        Assert.Equal(Sha256Hex.Of(File.ReadAllBytes(Path.Combine(dir, info.Head.File))), info.Head.Sha256);
        Assert.Equal(BackboneSha256, info.Backbone.Sha256);
        Assert.Equal(TestAssets.Backbone, info.Backbone.Path);
        Assert.Equal(("input", "features", 1280), (info.Backbone.Input, info.Backbone.Output, info.Backbone.EmbeddingSize));
        Assert.Equal(ResizeMode.Stretch, info.Preprocessing.Resize);
        Assert.Equal(64, info.ManifestId.Length);
        Assert.Equal(GitHead(), info.CodeVersion);
        Assert.Equal(Sha256Hex.Of(File.ReadAllBytes(Path.Combine(dir, SkillPackageInfo.ConfigFileName))), info.ConfigHash);
        Assert.Equal(info.Training.TrainImages * 2, info.Training.TrainExamples);
        Assert.Equal(364, info.Training.TrainImages + info.Metrics.TestImages);
        // Thirteen classes: chance is 7.7%; the number itself is reported by the bench, not tuned here.
        Assert.InRange(info.Metrics.Accuracy, 0.25, 1.0);
        Assert.True(info.Metrics.LatencyP95Ms >= info.Metrics.LatencyP50Ms && info.Metrics.LatencyP50Ms > 0);
        var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SkillPackageInfo.EvaluationFileName))).RootElement;
        Assert.Equal(info.Metrics.TestImages, evaluation.GetProperty("confusionMatrix").EnumerateArray().Sum(r => r.EnumerateArray().Sum(c => c.GetInt32())));
        Assert.StartsWith("%PDF", File.ReadAllText(Path.Combine(dir, SkillPackageInfo.ReportFileName))[..4]);
    }

    [Fact]
    public void Train_WarmCache_SkipsTheBackbone()
    {
        var cold = fixture.ColdTrain.Json.GetProperty("embeddings");
        var warm = fixture.WarmTrain.Json.GetProperty("embeddings");

        Assert.True(cold.GetProperty("computed").GetInt32() > 0);
        Assert.True(cold.GetProperty("backboneRuns").GetInt32() > 0);
        Assert.Equal(0, warm.GetProperty("computed").GetInt32());
        Assert.Equal(0, warm.GetProperty("backboneRuns").GetInt32());
        Assert.Equal(warm.GetProperty("requested").GetInt32(), warm.GetProperty("cacheHits").GetInt32());
        Assert.Equal(cold.GetProperty("requested").GetInt32(), warm.GetProperty("requested").GetInt32());
        Assert.Equal(2, fixture.WarmTrain.Json.GetProperty("version").GetInt32());
        Assert.False(fixture.WarmTrain.Json.GetProperty("manifestCreated").GetBoolean());
    }

    [Fact]
    public void Train_SameConfigAndManifest_ByteIdenticalHeadAndSameMetrics()
    {
        var (a, b) = (fixture.ColdTrain.Json, fixture.WarmTrain.Json);

        var headA = File.ReadAllBytes(Path.Combine(a.GetProperty("package").GetString()!, "head.mlnet.zip"));
        var headB = File.ReadAllBytes(Path.Combine(b.GetProperty("package").GetString()!, "head.mlnet.zip"));
        Assert.Equal(headA, headB);
        Assert.Equal(a.GetProperty("configHash").GetString(), b.GetProperty("configHash").GetString());
        Assert.Equal(a.GetProperty("manifestId").GetString(), b.GetProperty("manifestId").GetString());
        foreach (var metric in new[] { "accuracy", "balancedAccuracy", "calibrationError" })
            Assert.Equal(a.GetProperty("metrics").GetProperty(metric).GetDouble(), b.GetProperty("metrics").GetProperty(metric).GetDouble());
    }

    [Fact]
    public async Task SkillsListAndShow_TrainedVersions_ListedWithMetrics()
    {
        var list = await CliRunner.RunAsync(fixture.Root, "skills", "list", "--json");
        var show = await CliRunner.RunAsync(fixture.Root, "skills", "show", "car-variants@2", "--json");
        var human = await CliRunner.RunAsync(fixture.Root, "skills", "show", "car-variants@1");
        var missing = await CliRunner.RunAsync(fixture.Root, "skills", "show", "car-variants@9");
        var malformed = await CliRunner.RunAsync(fixture.Root, "skills", "show", "car-variants");

        Assert.Equal(0, list.ExitCode);
        var skills = list.Json.GetProperty("skills").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal([1, 2], skills["car-variants"].GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([1, 2, 3], skills["makes"].GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(2, show.Json.GetProperty("skill").GetProperty("version").GetInt32());
        Assert.Contains("skill.json", show.Json.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("car-variants v1", human.Out);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("its versions: 1, 2", missing.Error);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("NAME@VERSION", malformed.Error);
    }

    [Fact]
    public void SkillPredictor_PackageCopiedWithBackboneBeside_PredictsOrderedTopKThreadSafely()
    {
        using var dir = new TempDir("package");
        var copy = Path.Combine(dir.Path, "car-variants-1");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(Path.Combine(fixture.Root, ".skillmaker", "skills", "car-variants", "1"))) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        // The package travels without the workspace; the backbone is put beside skill.json and the
        // training-time path no longer exists.
        File.Copy(TestAssets.Backbone, Path.Combine(copy, "mobilenetv2-12-int8-features.onnx"));
        var info = JsonSerializer.Deserialize<SkillPackageInfo>(File.ReadAllText(Path.Combine(copy, "skill.json")), SkillJson.Options)!;
        File.WriteAllText(Path.Combine(copy, "skill.json"), JsonSerializer.Serialize(info with { Backbone = info.Backbone with { Path = "/nowhere/mobilenetv2-12-int8-features.onnx" } }, SkillJson.Options));
        var photos = TestAssets.CarPhotos().Where((_, i) => i % 40 == 0).ToList();
        var bitmaps = photos.Select(p => ImageDecoding.DecodeOriented(File.ReadAllBytes(p), p)).ToList();

        using var predictor = SkillPredictor.Open(copy);
        var single = bitmaps.Select(b => predictor.Predict(b, 3)).ToList();
        var batch = predictor.PredictBatch(bitmaps, 3);
        var parallel = new IReadOnlyList<LabelProbability>[bitmaps.Count];
        Parallel.For(0, bitmaps.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i % bitmaps.Count] = predictor.Predict(bitmaps[i % bitmaps.Count], 3));

        Assert.Equal(Path.Combine(copy, "mobilenetv2-12-int8-features.onnx"), predictor.Package.BackbonePath);
        foreach (var (top, i) in single.Select((t, i) => (t, i)))
        {
            Assert.Equal(3, top.Count);
            Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability);
            Assert.All(top, t => Assert.Contains(t.Label, info.Labels));
            Assert.Equal(top.Select(t => t.Label), batch[i].Select(t => t.Label));
            Assert.Equal(top.Select(t => t.Label), parallel[i].Select(t => t.Label));
            Assert.Equal(top[0].Probability, parallel[i][0].Probability, 5);
        }
        Assert.Equal(1.0, predictor.Probabilities(bitmaps[0]).Sum(), 3);
        // Most of these training-set photos are recognised; a broken label order would get few.
        Assert.True(single.Select((t, i) => t[0].Label == Path.GetFileName(Path.GetDirectoryName(photos[i]))).Count(x => x) >= photos.Count / 2);
        foreach (var b in bitmaps) b.Dispose();
    }

    [Fact]
    public void SkillPackage_BackboneWithOtherBytes_RefusesAndSaysWhich()
    {
        using var dir = new TempDir("package");
        var other = Path.Combine(dir.Path, "other.onnx");
        File.Copy(Path.Combine(TestAssets.Dir, "backbone", "mobilenetv2-12-int8.onnx"), other);

        var ex = Assert.Throws<SkillmakerException>(() => SkillPackage.Load(Path.Combine(fixture.Root, ".skillmaker", "skills", "car-variants", "1"), other));

        Assert.Contains(BackboneSha256, ex.Message);
        Assert.Contains("other.onnx has sha256 83530ad811bc", ex.Message);
    }

    [Fact]
    public async Task Eval_TrainedSkill_SummaryWithLatencyAndFailures()
    {
        var result = await CliRunner.RunAsync(fixture.Root, "eval", "car-variants@1", "--json");

        Assert.Equal(0, result.ExitCode);
        var only = Assert.Single(result.Json.GetProperty("evaluations").EnumerateArray());
        Assert.True(only.GetProperty("ok").GetBoolean());
        var e = only.GetProperty("evaluation");
        var trained = fixture.ColdTrain.Json.GetProperty("metrics");
        Assert.Equal(trained.GetProperty("accuracy").GetDouble(), e.GetProperty("accuracy").GetDouble());
        Assert.Equal(trained.GetProperty("testImages").GetInt32(), e.GetProperty("images").GetInt32());
        Assert.Equal(13, e.GetProperty("perClass").GetArrayLength());
        Assert.True(e.GetProperty("latencyP50Ms").GetDouble() > 0);
        var failures = e.GetProperty("failures");
        Assert.Equal((int)Math.Round((1 - e.GetProperty("accuracy").GetDouble()) * e.GetProperty("images").GetInt32()), failures.GetArrayLength());
        Assert.True(File.Exists(only.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Eval_ManifestWithClassesTheSkillLacks_Explains()
    {
        var carsManifest = fixture.ColdTrain.Json.GetProperty("manifestId").GetString()!;

        var result = await CliRunner.RunAsync(fixture.Root, "eval", "makes@2", "--manifest", carsManifest[..12]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not know: audi_s4_sedan_2007", result.Error);
        Assert.Contains("Evaluate on a manifest of the same classes", result.Error);
    }

    private static string GitHead()
    {
        var start = new ProcessStartInfo("git", "rev-parse HEAD") { RedirectStandardOutput = true, WorkingDirectory = AppContext.BaseDirectory };
        using var git = Process.Start(start)!;
        var head = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? head : BuildInfo.Unknown;
    }
}
