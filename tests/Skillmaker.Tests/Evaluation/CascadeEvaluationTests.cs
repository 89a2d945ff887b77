using System.Text.Json;
using Skillmaker.Tests.Promotion;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Serving;

namespace Skillmaker.Tests.Evaluation;

/// <summary>The test harness on the real stack: labelled car photos and photos without a vehicle go
/// through detector → make → audi-variant in process and through a running server, and both give the
/// same answers, scored per stage.</summary>
[Collection(ServingCollection.Name)]
public sealed class CascadeEvaluationTests(ServingFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static string LabelledPhotos(TempDir dir)
    {
        var root = Path.Combine(dir.Path, "photos");
        foreach (var label in new[] { "audi_s4_sedan_2012", "audi_s5_coupe_2012", "bmw_m3_coupe_2012", "tesla_model_s_sedan_2012" })
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            foreach (var photo in Directory.GetFiles(Path.Combine(TestAssets.Cars, label)).Order(StringComparer.Ordinal).Take(4))
                File.Copy(photo, Path.Combine(root, label, Path.GetFileName(photo)));
        }
        Directory.CreateDirectory(Path.Combine(root, "no-vehicle"));
        foreach (var line in File.ReadLines(Path.Combine(TestAssets.Scenes, "labels.csv")).Skip(1).Where(l => l.Split(',')[1] == "no_vehicle"))
            File.Copy(Path.Combine(TestAssets.Scenes, line.Split(',')[0]), Path.Combine(root, "no-vehicle", line.Split(',')[0]));
        return root;
    }

    [Fact]
    public async Task EvalCascade_InProcessAndOverHttp_SameAnswersScoredPerStage()
    {
        using var dir = new TempDir("cascade-eval");
        var photos = LabelledPhotos(dir);
        await using var server = await ServingFixture.StartAsync(fixture.Root);

        var local = await CliRunner.RunAsync(fixture.Root, "eval-cascade", "--photos", photos, "--json");
        var remote = await CliRunner.RunAsync(fixture.Root, "eval-cascade", "--photos", photos, "--url", server.Address.ToString(), "--api-key", fixture.Key, "--json");
        var human = await CliRunner.RunAsync(fixture.Root, "eval-cascade", "--photos", photos);

        Assert.Equal(0, local.ExitCode);
        Assert.Equal(0, remote.ExitCode);
        var l = local.Json.GetProperty("evaluation");
        var saved = local.Json.GetProperty("path").GetString()!;
        Assert.StartsWith(Path.Combine(fixture.Root, ".skillmaker", "cascade-evaluations") + Path.DirectorySeparatorChar, saved, StringComparison.Ordinal);
        Assert.Equal(l.GetProperty("endToEndCorrect").GetInt32(), JsonDocument.Parse(File.ReadAllText(saved)).RootElement.GetProperty("endToEndCorrect").GetInt32());
        Assert.Equal(16 + 4, l.GetProperty("photos").GetInt32());
        Assert.Equal(16, l.GetProperty("vehiclePhotos").GetInt32());
        Assert.Equal(4, l.GetProperty("noVehiclePhotos").GetInt32());
        var stages = l.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("skill").GetString()!);
        Assert.True(stages["make"].GetProperty("withTruth").GetInt32() >= 12);
        // The variant stage knows only Audis: a BMW that reached it would have no truth there.
        Assert.True(stages.ContainsKey("audi-variant"), local.Out);
        var results = l.GetProperty("results").EnumerateArray().ToList();
        foreach (var r in results.Where(r => r.GetProperty("label").ValueKind == JsonValueKind.String && r.GetProperty("label").GetString()!.StartsWith("bmw", StringComparison.Ordinal)))
            Assert.All(r.GetProperty("stages").EnumerateArray().Where(s => s.GetProperty("skill").GetString() == "make"), s => Assert.Equal("bmw", s.GetProperty("truth").GetString()));
        var correct = l.GetProperty("endToEndCorrect").GetInt32();
        Assert.Equal(results.Count(r => r.GetProperty("outcome").GetString() == "correct"), correct);
        Assert.InRange(correct, 4, 16);
        // The same photos, the same answers, whether asked here or over HTTP.
        static string Answers(JsonElement e) => string.Join("\n", e.GetProperty("results").EnumerateArray().Select(r =>
            $"{Path.GetFileName(r.GetProperty("path").GetString())} {r.GetProperty("outcome").GetString()} " +
            string.Join(" ", r.GetProperty("stages").EnumerateArray().Select(s => $"{s.GetProperty("skill").GetString()}={s.GetProperty("answer").GetString()}"))));
        Assert.Equal(Answers(l), Answers(remote.Json.GetProperty("evaluation")));
        Assert.Contains(server.Address.Host, remote.Json.GetProperty("evaluation").GetProperty("via").GetString());
        Assert.Contains("End to end:", human.Out);
        Assert.Contains("audi-variant", human.Out);
        Assert.Contains("Saved ", human.Out);
    }

    [Fact]
    public async Task EvalCascade_BadInput_NamesTheProblem()
    {
        using var dir = new TempDir("cascade-eval-bad");
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        var cascade = Path.Combine(dir.Path, "serving.json");
        await File.WriteAllTextAsync(cascade, """{ "cascade": { "skill": "trucks" } }""");

        var missing = await CliRunner.RunAsync(fixture.Root, "eval-cascade", "--photos", Path.Combine(dir.Path, "nope"));
        var empty = await CliRunner.RunAsync(fixture.Root, "eval-cascade", "--photos", Path.Combine(dir.Path, "empty"));
        var unknownSkill = await CliRunner.RunAsync(fixture.Root, "eval-cascade", cascade, "--photos", LabelledPhotos(dir));

        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("is not a folder", missing.Error);
        Assert.Contains("has no photos in sub-folders", empty.Error);
        Assert.Contains("'trucks', which has no production version", unknownSkill.Error);
    }

    private static readonly string[] TestClasses = ["audi_s4_sedan_2012", "bmw_m3_coupe_2012", "tesla_model_s_sedan_2012"];

    private static string TestSet(string root, string name, string classes, string role = "test") => WriteText(Path.Combine(root, name + ".dataset.json"),
        $$"""{ "name": "{{name}}", "imageKind": "original", "allowLabelHints": true, "role": "{{role}}", "classes": {{classes}} }""");

    private static string WriteText(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    private static string ClassesOf(IEnumerable<string> labels) => JsonSerializer.Serialize(labels.Select(l => new { name = l, labels = new[] { l } }));

    [Fact]
    public async Task EvalCascade_TestSetDefinition_ScoresItsUnseenPhotosPerStageAndNamesTheLeakedOnes()
    {
        var root = fixture.Clone();
        var definition = TestSet(root, "cascade-test", ClassesOf(TestClasses));

        var refused = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", definition);
        var run = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", definition, "--exclude-leaked", "--json");
        var human = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", definition, "--exclude-leaked");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("leak from the training data of the cascade's skills (make, audi-variant)", refused.Error);
        Assert.Contains("--exclude-leaked", refused.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        var e = run.Json.GetProperty("evaluation");
        Assert.StartsWith("dataset cascade-test (manifest ", e.GetProperty("set").GetString(), StringComparison.Ordinal);
        var excluded = e.GetProperty("excluded").GetArrayLength();
        var results = e.GetProperty("results").EnumerateArray().ToList();
        // The test set has every photo of the three classes; those a cascade skill trained on are left out.
        var all = TestClasses.Sum(c => Directory.GetFiles(Path.Combine(TestAssets.Cars, c)).Length);
        Assert.Equal(all, excluded + results.Count);
        Assert.InRange(results.Count, 3, all / 2);
        Assert.Equal(results.Count, e.GetProperty("vehiclePhotos").GetInt32());
        Assert.All(results, r => Assert.Contains(r.GetProperty("label").GetString(), TestClasses));
        // Each stage is scored against its own skill's truth: the make of a BMW is "bmw", an Audi reaches the variant stage.
        foreach (var r in results)
        {
            var label = r.GetProperty("label").GetString()!;
            foreach (var st in r.GetProperty("stages").EnumerateArray())
                Assert.Equal(st.GetProperty("skill").GetString() == "make" ? label[..label.IndexOf('_')] : label.StartsWith("audi", StringComparison.Ordinal) ? label : null,
                    st.GetProperty("truth").GetString());
        }
        var make = e.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("skill").GetString() == "make");
        Assert.Equal(e.GetProperty("vehicleFound").GetInt32(), make.GetProperty("reached").GetInt32());
        Assert.InRange(make.GetProperty("accuracy").GetDouble(), 0.3, 1.0);
        Assert.Equal(results.Count(r => r.GetProperty("outcome").GetString() == "correct"), e.GetProperty("endToEndCorrect").GetInt32());
        Assert.True(e.GetProperty("latencyP50Ms").GetDouble() > 0);
        output.WriteLine(human.Out);
        Assert.Contains("Photos: dataset cascade-test", human.Out);
        Assert.Contains("left out", human.Out);
        Assert.Contains("abstained on", human.Out);
    }

    [Fact]
    public async Task EvalCascade_TestSetThatDoesNotMatchTheCascade_NamesTheField()
    {
        var root = fixture.Clone();
        var trucks = TestSet(root, "trucks", """[{ "name": "trucks", "labels": ["audi_s4_sedan_2012"] }, { "name": "bmw_m3_coupe_2012", "labels": ["bmw_m3_coupe_2012"] }]""");
        var train = TestSet(root, "train-role", ClassesOf(TestClasses), role: "train");
        var broken = WriteText(Path.Combine(root, "broken.dataset.json"), """{ "name": "broken", "role": "exam", "classesFromLabels": true }""");

        var unknownClass = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", trucks, "--exclude-leaked");
        var wrongRole = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", train);
        var invalid = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", broken);
        var both = await CliRunner.RunAsync(root, "eval-cascade", "--dataset", trucks, "--photos", root);

        Assert.NotEqual(0, unknownClass.ExitCode);
        Assert.Contains("classes has class(es) the cascade's first stage make v1 cannot score: trucks", unknownClass.Error);
        Assert.Contains("role is train", wrongRole.Error);
        Assert.Contains("role", invalid.Error);
        Assert.Contains(broken, invalid.Error);
        Assert.Contains("either --photos DIR or --dataset DEF.json", both.Error);
    }

    [Fact]
    public async Task Promote_SkillInCascadeWithEvaluationSet_PairedCascadeCheckInDryRunAndReport()
    {
        var root = fixture.Clone();
        using var source = new TempDir("cascade-set-src");
        var photos = LabelledPhotos(source);
        Common.DirectoryCopy.Recursive(photos, Path.Combine(root, ".skillmaker", "cascade-set"));
        var serving = Path.Combine(root, ".skillmaker", "serving.json");

        await File.WriteAllTextAsync(serving, """
            { "cascade": { "skill": "make", "next": { "audi": { "skill": "audi-variant" } } }, "evaluation": { "photos": "cascade-set" } }
            """);
        var dry = await CliRunner.RunAsync(root, "promote", "make@2", "--dry-run", "--json");
        var promoted = await CliRunner.RunAsync(root, "promote", "make@2");

        var check = PromotionReading.Checks(dry.Json)["cascade"];
        Assert.False(check.GetProperty("skipped").GetBoolean());
        Assert.Contains("vehicle photos of photos cascade-set", check.GetProperty("explanation").GetString());
        Assert.Contains("95% CI", check.GetProperty("explanation").GetString());
        var cascade = dry.Json.GetProperty("decision").GetProperty("cascade");
        Assert.Equal(16, cascade.GetProperty("items").GetInt32());
        Assert.Equal(2, cascade.GetProperty("candidateVersion").GetInt32());
        // Paired: the same photos, in the same order, for both; the candidate's make stage is v2, production's v1.
        var candidateResults = cascade.GetProperty("candidate").GetProperty("results").EnumerateArray().ToList();
        var productionResults = cascade.GetProperty("production").GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(productionResults.Select(r => r.GetProperty("path").GetString()), candidateResults.Select(r => r.GetProperty("path").GetString()));
        Assert.All(candidateResults.SelectMany(r => r.GetProperty("stages").EnumerateArray()).Where(s => s.GetProperty("skill").GetString() == "make"), s => Assert.Equal(2, s.GetProperty("version").GetInt32()));
        Assert.All(productionResults.SelectMany(r => r.GetProperty("stages").EnumerateArray()).Where(s => s.GetProperty("skill").GetString() == "make"), s => Assert.Equal(1, s.GetProperty("version").GetInt32()));
        var changed = candidateResults.Zip(productionResults).Count(p => p.First.GetProperty("outcome").GetString() != p.Second.GetProperty("outcome").GetString());
        Assert.Equal(changed, cascade.GetProperty("changed").GetArrayLength());
        output.WriteLine(promoted.Out);
        Assert.Contains("cascade on photos cascade-set", promoted.Out);
        Assert.Contains("end to end", promoted.Out);
        Assert.Contains(check.GetProperty("passed").GetBoolean() ? "PASS cascade:" : "FAIL cascade:", promoted.Out);

        var pdf = promoted.Out.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("report: ", StringComparison.Ordinal))["report: ".Length..];
        var text = ExternalTool.Run("pdftotext", "-layout", pdf, "-");
        foreach (var expected in new[] { "7. Cascade evaluation", "vehicle found", "end to end", "audi-variant", "make v2 swapped in for v1", "End-to-end change" })
            Assert.Contains(expected, text);
    }
}
