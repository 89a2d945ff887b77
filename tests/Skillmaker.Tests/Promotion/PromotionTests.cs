using Skillmaker.Registry;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;
using static Skillmaker.Tests.Promotion.PromotionReading;

namespace Skillmaker.Tests.Promotion;

/// <summary>The gate on real skills: makes v1 (weak head), v2 (good head), v3 (good head, slower
/// backbone, zero latency tolerance). Each test promotes in a clone of the trained workspace.</summary>
[Collection(TrainingCollection.Name)]
public sealed class PromotionTests(TrainingFixture fixture)
{
    [Fact]
    public async Task Promote_FirstVersion_PassesWithNoteMovesAliasWritesDeployment()
    {
        var root = fixture.Clone();

        var result = await CliRunner.RunAsync(root, "promote", "makes@1", "--json");

        Assert.Equal(0, result.ExitCode);
        var json = result.Json;
        Assert.True(json.GetProperty("promoted").GetBoolean());
        Assert.True(json.GetProperty("decision").GetProperty("firstPromotion").GetBoolean());
        Assert.Contains("First promotion of makes", json.GetProperty("decision").GetProperty("reason").GetString());
        var (aliases, history) = await RegistryAsync(root);
        Assert.Equal(1, aliases[Aliases.Production]);
        var move = Assert.Single(history);
        Assert.Equal((null, 1), (move.FromVersion, move.ToVersion));
        Assert.Contains("First promotion", move.Why);
        var template = File.ReadAllText(Path.Combine(root, "deploy", "cloudformation.yaml"));
        Assert.Contains($"Tag: 'v1-{fixture.MakesWeak.Json.GetProperty("codeVersion").GetString()![..7]}'", template);
        Assert.True(File.Exists(Path.Combine(root, "deploy", "makes", "Dockerfile")));
        Assert.True(File.Exists(Path.Combine(root, "deploy", "docker-compose.yml")));
    }

    [Fact]
    public async Task Promote_BetterHead_PassesBothChecksAndRecordsHistory()
    {
        var root = fixture.Clone();
        var first = await CliRunner.RunAsync(root, "promote", "makes@1");
        // Shown as words, not as Spectre markup printed literally.
        Assert.StartsWith("PROMOTED First promotion of makes", first.Out.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("[/]", first.Out, StringComparison.Ordinal);
        var templateBefore = File.ReadAllText(Path.Combine(root, "deploy", "cloudformation.yaml"));

        var result = await CliRunner.RunAsync(root, "promote", "makes@2", "--json");

        Assert.Equal(0, result.ExitCode);
        var checks = Checks(result.Json);
        Assert.True(checks["accuracy"].GetProperty("passed").GetBoolean());
        Assert.True(checks["latency"].GetProperty("passed").GetBoolean(), checks["latency"].GetProperty("explanation").GetString());
        Assert.Contains("CI", checks["accuracy"].GetProperty("explanation").GetString());
        Assert.True(result.Json.GetProperty("candidate").GetProperty("accuracy").GetDouble() > result.Json.GetProperty("production").GetProperty("accuracy").GetDouble());
        var (aliases, history) = await RegistryAsync(root);
        Assert.Equal(2, aliases[Aliases.Production]);
        Assert.Equal([(null, 1), (1, 2)], history.Select(h => ((int?)h.FromVersion, h.ToVersion)));
        Assert.Contains("passes against production v1", history[1].Why);
        // Promotion changes only the promoted skill's tag line in the template.
        var templateAfter = File.ReadAllText(Path.Combine(root, "deploy", "cloudformation.yaml"));
        var changed = templateBefore.Split('\n').Zip(templateAfter.Split('\n')).Where(p => p.First != p.Second).ToList();
        Assert.Contains("Tag: 'v2-", Assert.Single(changed).Second);
    }

    [Fact]
    public async Task Promote_WorseHead_FailsOnAccuracyMarksNeedsInvestigationAndNotifies()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@2");
        var before = fixture.WebhookPosts.Count;

        var result = await CliRunner.RunAsync(root, "promote", "makes@1", "--json");
        var human = await CliRunner.RunAsync(root, "skills", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.False(result.Json.GetProperty("promoted").GetBoolean());
        Assert.Equal("needs investigation", result.Json.GetProperty("status").GetString());
        var checks = Checks(result.Json);
        Assert.False(checks["accuracy"].GetProperty("passed").GetBoolean());
        var reason = result.Json.GetProperty("decision").GetProperty("reason").GetString()!;
        Assert.Contains("not accurate enough", reason);
        Assert.DoesNotContain("too slow", reason);
        var (aliases, history) = await RegistryAsync(root);
        Assert.Equal(2, aliases[Aliases.Production]);
        Assert.Single(history);
        Assert.Contains("needs investigation", human.Out);
        var post = fixture.WebhookPosts.Skip(before).Select(p => p.GetProperty("text").GetString()!).Last(t => t.Contains("makes v1 was not promoted", StringComparison.Ordinal));
        Assert.Contains("not accurate enough", post);
    }

    [Fact]
    public async Task Promote_SlowerBackbone_FailsOnLatencyWithNumbers()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@2");

        var result = await CliRunner.RunAsync(root, "promote", "makes@3", "--json");
        var human = await CliRunner.RunAsync(root, "promote", "makes@3");

        Assert.Equal(1, result.ExitCode);
        var checks = Checks(result.Json);
        Assert.True(checks["accuracy"].GetProperty("passed").GetBoolean(), "same embeddings, same head: equally accurate");
        var latency = checks["latency"];
        Assert.False(latency.GetProperty("passed").GetBoolean(), latency.GetProperty("explanation").GetString());
        Assert.True(latency.GetProperty("candidate").GetDouble() > latency.GetProperty("limit").GetDouble());
        Assert.Contains("allowed slowdown max(0.0% of production, 2.0 ms) = 2.0 ms", latency.GetProperty("explanation").GetString());
        Assert.Contains("too slow", result.Json.GetProperty("decision").GetProperty("reason").GetString());
        Assert.Equal(2, (await RegistryAsync(root)).Aliases[Aliases.Production]);
        Assert.Contains("NOT PROMOTED", human.Out);
    }

    [Fact]
    public async Task Promote_ForceWithReason_PromotesAndRecordsWhy()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@2");

        var noReason = await CliRunner.RunAsync(root, "promote", "makes@1", "--force");
        var forced = await CliRunner.RunAsync(root, "promote", "makes@1", "--force", "--reason", "customer asked for the old model", "--json");
        var again = await CliRunner.RunAsync(root, "promote", "makes@1", "--json");

        Assert.Equal(2, noReason.ExitCode);
        Assert.Contains("--force needs --reason", noReason.Error);
        Assert.Equal(0, forced.ExitCode);
        Assert.True(forced.Json.GetProperty("forced").GetBoolean());
        var (aliases, history) = await RegistryAsync(root);
        Assert.Equal(1, aliases[Aliases.Production]);
        Assert.Contains("forced: customer asked for the old model", history[^1].Why);
        Assert.Equal(0, again.ExitCode);
        Assert.True(again.Json.GetProperty("alreadyProduction").GetBoolean());
        Assert.Equal(history.Count, (await RegistryAsync(root)).History.Count);
    }

    [Fact]
    public async Task Promote_NoDetectorForTheBundle_FailsWithoutMovingTheAliasOrRecordingADecision()
    {
        var root = fixture.Clone();
        var noAssets = new Dictionary<string, string?> { [Common.AssetLocator.EnvironmentVariable] = Path.Combine(root, "no-assets") };

        var result = await CliRunner.RunAsync(root, noAssets, CancellationToken.None, "promote", "makes@1", "--json");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-assets", result.Error);
        var (aliases, history) = await RegistryAsync(root);
        Assert.False(aliases.ContainsKey(Aliases.Production));
        Assert.Empty(history);
        // No decision claims a promotion that did not happen.
        var decisions = Path.Combine(root, ".skillmaker", "gate", "makes");
        Assert.False(Directory.Exists(decisions) && Directory.EnumerateFiles(decisions, "*.json").Any());
    }

    [Fact]
    public async Task Promote_UnknownSkillOrVersion_NamesWhatExists()
    {
        var unknownSkill = await CliRunner.RunAsync(fixture.Root, "promote", "trucks@1");
        var unknownVersion = await CliRunner.RunAsync(fixture.Root, "promote", "makes@7");

        Assert.Equal(1, unknownSkill.ExitCode);
        Assert.Contains("Unknown skill 'trucks'", unknownSkill.Error);
        Assert.Contains("car-variants, makes", unknownSkill.Error);
        Assert.Equal(1, unknownVersion.ExitCode);
        Assert.Contains("its versions: 1, 2, 3", unknownVersion.Error);
    }

    [Fact]
    public async Task Report_AfterFailedPromotion_PdfHasSectionsVersionsGateAndImages()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@2");
        await CliRunner.RunAsync(root, "promote", "makes@1");
        using var dir = new TempDir("report");
        var pdf = Path.Combine(dir.Path, "makes-1.pdf");

        var result = await CliRunner.RunAsync(root, "report", "makes@1", "--out", pdf, "--json");

        Assert.Equal(0, result.ExitCode);
        var info = fixture.MakesWeak.Json;
        var text = ExternalTool.Run("pdftotext", "-layout", pdf, "-");
        foreach (var expected in new[] { "Model report: makes v1", "1. Versioning", "2. Data used", "3. Metrics", "4. Confusion matrix", "5. Failures", "6. Gate decision",
                     "NOT PROMOTED", "not accurate enough", "stanford-cars", info.GetProperty("codeVersion").GetString()!, info.GetProperty("manifestId").GetString()!,
                     info.GetProperty("backboneSha256").GetString()!, info.GetProperty("configHash").GetString()!, "lightgbm" })
            Assert.Contains(expected, text);
        var failures = result.Json.GetProperty("failuresShown").GetInt32();
        Assert.True(failures > 0);
        var images = ExternalTool.Run("pdfimages", "-list", pdf).Split('\n').Count(l => l.Contains("image", StringComparison.Ordinal));
        Assert.True(images >= 2 + 2 * failures, $"{images} images for {failures} failures");
        ExternalTool.Run("pdftoppm", "-png", "-r", "40", pdf, Path.Combine(dir.Path, "page"));
        Assert.True(Directory.GetFiles(dir.Path, "page*.png").Length >= 3);
    }
}
