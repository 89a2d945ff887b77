using System.Text.Json;
using Skillmaker.Tests.Serving;

namespace Skillmaker.Tests.Evaluation;

/// <summary>The test harness on the real stack: labelled car photos and photos without a vehicle go
/// through detector → make → audi-variant in process and through a running server, and both give the
/// same answers, scored per stage.</summary>
[Collection(ServingCollection.Name)]
public sealed class CascadeEvaluationTests(ServingFixture fixture)
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
        Assert.StartsWith(Path.Combine(fixture.Root, ".skillmaker", "evaluations", "cascade"), saved, StringComparison.Ordinal);
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
}
