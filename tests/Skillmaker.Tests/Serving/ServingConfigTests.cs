using Skillmaker.Common;
using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

public sealed class ServingConfigTests
{
    [Fact]
    public void Load_MakeThenVariantCascade_ReadsStagesAndListsSkills()
    {
        using var dir = new TempDir("serving");
        var path = Path.Combine(dir.Path, "serving.json");
        File.WriteAllText(path, """
            // make first, then the variant skill of that make
            {
              "cascade": { "skill": "make", "threshold": 0.6, "topK": 5,
                           "next": { "bmw": { "skill": "bmw-variant" }, "audi": { "skill": "audi-variant", "threshold": 0.4 } } },
              "maxBytes": 1048576,
            }
            """);

        var config = ServingConfig.Load(path);

        Assert.Equal(["make", "bmw-variant", "audi-variant"], config.Skills.OrderBy(s => s == "make" ? 0 : 1).ThenByDescending(s => s));
        Assert.Equal((0.6f, 5), (config.Cascade!.Threshold, config.Cascade.TopK));
        Assert.Null(config.Cascade.Next["bmw"].Threshold);
        Assert.Null(config.Cascade.Next["bmw"].TopK);
        Assert.Equal(0.4f, config.Cascade.Next["audi"].Threshold);
        Assert.Equal(1048576, config.MaxBytes);
        Assert.Equal(40_000_000, config.MaxPixels);
        Assert.True(config.RequireApiKey);
    }

    [Fact]
    public void Load_BadValues_NamesEveryFieldAndWhatWasExpected()
    {
        using var dir = new TempDir("serving");
        var path = Path.Combine(dir.Path, "serving.json");
        File.WriteAllText(path, """
            { "cascade": { "skill": "Make!", "threshold": 1.5, "topK": 0, "next": { "x": { "skill": "loop" , "next": { "y": { "skill": "loop" } } } } },
              "maxPixels": 5, "maxConcurrent": -1, "maxQueued": -2 }
            """);

        var error = Assert.Throws<SkillmakerException>(() => ServingConfig.Load(path));

        Assert.Contains("cascade.skill is 'Make!'; expected a skill name", error.Message);
        Assert.Contains("cascade.threshold is 1.5; expected a probability 0..1", error.Message);
        Assert.Contains("cascade.topK is 0; expected 1..50", error.Message);
        Assert.Contains("cascade.next[\"x\"].next[\"y\"].skill 'loop' already runs earlier on this branch", error.Message);
        Assert.Contains("maxPixels is 5; expected 1024..1000000000", error.Message);
        Assert.Contains("maxConcurrent is -1; expected 0 (one per core)..1024", error.Message);
        Assert.Contains("maxQueued is -2; expected 0..100000", error.Message);
    }

    [Fact]
    public void Load_UnknownFieldOrMissingFile_SaysWhatIsExpected()
    {
        using var dir = new TempDir("serving");
        var path = Path.Combine(dir.Path, "serving.json");
        File.WriteAllText(path, """{ "cascade": { "skill": "make" }, "maxbites": 3 }""");

        var unknown = Assert.Throws<SkillmakerException>(() => ServingConfig.Load(path));
        var missing = Assert.Throws<SkillmakerException>(() => ServingConfig.Load(Path.Combine(dir.Path, "nope.json")));

        Assert.Contains("maxbites", unknown.Message);
        Assert.Contains("\"cascade\"", unknown.Message);
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void Load_EvaluationSet_ExactlyOneOfDatasetOrPhotos()
    {
        using var dir = new TempDir("serving");
        var path = Path.Combine(dir.Path, "serving.json");
        string Error(string evaluation)
        {
            File.WriteAllText(path, $$"""{ "cascade": { "skill": "make" }, "evaluation": {{evaluation}} }""");
            return Assert.Throws<SkillmakerException>(() => ServingConfig.Load(path)).Message;
        }

        var neither = Error("{}");
        var both = Error("""{ "dataset": "t.json", "photos": "set" }""");
        var unknown = Error("""{ "datset": "t.json" }""");
        File.WriteAllText(path, """{ "cascade": { "skill": "make" }, "evaluation": { "dataset": "../cascade-test.dataset.json", "excludeLeaked": false } }""");
        var good = ServingConfig.Load(path);

        Assert.Contains("evaluation names neither dataset nor photos", neither);
        Assert.Contains("evaluation names both dataset and photos; expected exactly one", both);
        Assert.Contains("datset", unknown);
        Assert.Equal("../cascade-test.dataset.json", good.Evaluation!.Dataset);
        Assert.False(good.Evaluation.ExcludeLeaked);
    }
}
