
namespace Skillmaker.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class TrainAllTests(TrainingFixture fixture)
{
    [Fact]
    public async Task TrainAll_TwoSkillsNeedingTheSameImages_EachEmbeddingComputedOnce()
    {
        var root = fixture.Clone();
        Directory.Delete(Path.Combine(root, ".skillmaker", "embeddings"), recursive: true);
        var configs = Path.Combine(root, "configs");
        Directory.CreateDirectory(configs);
        File.Copy(Path.Combine(fixture.Configs, "makes4.dataset.json"), Path.Combine(configs, "makes4.dataset.json"));
        File.WriteAllText(Path.Combine(configs, "a.json"), fixture.ConfigJson("pair-a", "makes4.dataset.json", """{ "type": "logistic" }"""));
        File.WriteAllText(Path.Combine(configs, "b.json"), fixture.ConfigJson("pair-b", "makes4.dataset.json", """{ "type": "knn", "params": { "k": 3 } }"""));

        var result = await CliRunner.RunAsync(root, "train-all", "configs/a.json", "configs/b.json", "--threads", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        var skills = result.Json.GetProperty("skills").EnumerateArray().ToList();
        Assert.Equal(["pair-a", "pair-b"], skills.Select(s => s.GetProperty("skill").GetString()));
        Assert.All(skills, s => Assert.True(s.GetProperty("ok").GetBoolean()));
        var stats = skills.Select(s => s.GetProperty("result").GetProperty("embeddings")).ToList();
        var images = TrainingFixture.MakesClasses.Length * 28;
        Assert.All(stats, s => Assert.Equal(images, s.GetProperty("requested").GetInt32()));
        // Concurrent skills share the cache and its in-flight claims: the backbone sees each image once.
        Assert.Equal(images, stats.Sum(s => s.GetProperty("computed").GetInt32()));
        Assert.All(skills, s => Assert.Equal(1, s.GetProperty("result").GetProperty("threads").GetInt32()));
    }

    [Fact]
    public async Task TrainAll_OneBadConfig_NothingTrained()
    {
        var root = fixture.Clone();
        File.WriteAllText(Path.Combine(root, "good.json"), fixture.ConfigJson("solo", Path.Combine(fixture.Configs, "makes4.dataset.json"), """{ "type": "logistic" }"""));
        File.WriteAllText(Path.Combine(root, "bad.json"), fixture.ConfigJson("broken", Path.Combine(fixture.Configs, "makes4.dataset.json"), """{ "type": "logistic" }""", output: "logits"));

        var result = await CliRunner.RunAsync(root, "train-all", "good.json", "bad.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nothing was trained", result.Error);
        Assert.Contains("bad.json", result.Error);
        Assert.False(Directory.Exists(Path.Combine(root, ".skillmaker", "skills", "solo", "1")));
    }
}
