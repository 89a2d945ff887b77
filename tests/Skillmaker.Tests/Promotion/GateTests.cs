using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skillmaker.Registry;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;
using Skillmaker.Workspaces;
using static Skillmaker.Tests.Promotion.PromotionReading;

namespace Skillmaker.Tests.Promotion;

/// <summary>The paired gate on real skills (real backbone, real car photos): identical retrains pass
/// every time, a head trained with two classes' labels swapped is refused naming them, leaked test
/// items are found, and a dry run or a staging promotion moves nothing it should not.</summary>
[Collection(TrainingCollection.Name)]
public sealed class GateTests(TrainingFixture fixture)
{
    [Fact]
    public async Task Promote_IdenticalRetrainFiveTimes_PassesFiveOfFiveAsNoChange()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "makes@2")).ExitCode);

        var outcomes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var trained = await CliRunner.RunAsync(root, "train", Path.Combine(fixture.Configs, "makes-good.json"), "--json");
            Assert.Equal(0, trained.ExitCode);
            var version = trained.Json.GetProperty("version").GetInt32();
            var promoted = await CliRunner.RunAsync(root, "promote", $"makes@{version}", "--json");
            var accuracy = Checks(promoted.Json)["accuracy"].GetProperty("explanation").GetString()!;
            outcomes.Add($"v{version}: exit {promoted.ExitCode}, {accuracy}; {Checks(promoted.Json)["latency"].GetProperty("explanation").GetString()}");
            Assert.True(promoted.ExitCode == 0, string.Join("\n", outcomes));
            Assert.StartsWith("no change", accuracy, StringComparison.Ordinal);
        }
        Assert.Equal(5, outcomes.Count);
        Assert.DoesNotContain(fixture.WebhookPosts, p => IsFrom(root, p) && p.GetProperty("text").GetString()!.Contains("was not promoted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Promote_TwoClassesSwappedInTraining_RefusedNamingBothClassesFirst()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "makes@2")).ExitCode);
        var (audi, bmw) = (TrainingFixture.MakesClasses[0], TrainingFixture.MakesClasses[1]);
        // An expert "confirms" the training photos of audi as bmw and the other way round: the test photos keep their labels.
        var manifest = await ManifestOfAsync(root, fixture.MakesGood.Json.GetProperty("manifestId").GetString()!);
        string[] TrainOf(string label) => [.. manifest.Items.Where(i => i.Class == label && i.Split == Skillmaker.Datasets.Split.Train).Select(i => i.ImageId)];
        await ConfirmLabelsAsync(root, TrainOf(audi), bmw);
        await ConfirmLabelsAsync(root, TrainOf(bmw), audi);
        var trained = await CliRunner.RunAsync(root, "train", Path.Combine(fixture.Configs, "makes-good.json"), "--json");
        Assert.Equal(0, trained.ExitCode);
        var version = trained.Json.GetProperty("version").GetInt32();

        var result = await CliRunner.RunAsync(root, "promote", $"makes@{version}", "--json");

        Assert.Equal(1, result.ExitCode);
        // 7 test photos per class cannot show one class's loss at a corrected 95% level; the overall loss
        // refuses, and the decision names where the loss is.
        var reason = result.Json.GetProperty("decision").GetProperty("reason").GetString()!;
        Assert.Contains("not accurate enough", reason);
        var drops = reason[reason.IndexOf("Largest per-class drops:", StringComparison.Ordinal)..];
        Assert.Contains($"'{audi}'", drops);
        Assert.Contains($"'{bmw}'", drops);
        Assert.True(drops.IndexOf($"'{audi}'", StringComparison.Ordinal) < (drops.IndexOf($"'{TrainingFixture.MakesClasses[2]}'", StringComparison.Ordinal) is var f and >= 0 ? f : int.MaxValue));
        Assert.Equal(2, (await AliasesAsync(root))[Aliases.Production]);
    }

    [Fact]
    public async Task Promote_TestItemsProductionTrainedOn_ExcludedAndNamedOrRefused()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "makes@2")).ExitCode);
        // A set manifest arrives that puts a photo v2 trained on in the same set as a test photo: the
        // set is test from now on (once test, always test), so v2 has seen one of the new test items.
        var manifest = await ManifestOfAsync(root, fixture.MakesGood.Json.GetProperty("manifestId").GetString()!);
        var paths = Directory.EnumerateFiles(TestAssets.Cars, "*.jpg", SearchOption.AllDirectories).ToDictionary(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
        var train = manifest.Items.First(i => i.Split == Skillmaker.Datasets.Split.Train && paths.ContainsKey(i.ImageId));
        var test = manifest.Items.First(i => i.Split == Skillmaker.Datasets.Split.Test && i.Class == train.Class && paths.ContainsKey(i.ImageId));
        var configs = Path.Combine(Path.GetDirectoryName(root)!, "configs");
        Directory.CreateDirectory(configs);
        var sets = Path.Combine(configs, "sets.csv");
        await File.WriteAllTextAsync(sets, $"path,set_id\n{paths[train.ImageId]},same-car\n{paths[test.ImageId]},same-car\n");
        Assert.Equal(0, (await CliRunner.RunAsync(root, "ingest", "--manifest", sets, "--source", "set-list", "--manifest-root", TestAssets.Dir)).ExitCode);
        File.Copy(Path.Combine(fixture.Configs, "makes4.dataset.json"), Path.Combine(configs, "makes4.dataset.json"));
        var config = fixture.ConfigJson("makes", "makes4.dataset.json", """{ "type": "logistic" }""");
        await File.WriteAllTextAsync(Path.Combine(configs, "exclude.json"), config);
        await File.WriteAllTextAsync(Path.Combine(configs, "refuse.json"), config.Replace("\"minAccuracyDelta\": 0,", "\"minAccuracyDelta\": 0, \"leakage\": \"refuse\",", StringComparison.Ordinal));
        var trained = await CliRunner.RunAsync(root, "train", Path.Combine(configs, "exclude.json"), "--json");
        Assert.Equal(0, trained.ExitCode);
        var refusing = await CliRunner.RunAsync(root, "train", Path.Combine(configs, "refuse.json"), "--json");

        var excluded = await CliRunner.RunAsync(root, "promote", $"makes@{trained.Json.GetProperty("version").GetInt32()}", "--dry-run", "--json");
        var refused = await CliRunner.RunAsync(root, "promote", $"makes@{refusing.Json.GetProperty("version").GetInt32()}", "--json");
        var audit = await CliRunner.RunAsync(root, "splits", "audit", "--json");

        var comparison = excluded.Json.GetProperty("decision").GetProperty("comparison");
        // The photo v2 trained on, and the test photo now known to be the same car.
        Assert.Equal(new[] { train.ImageId, test.ImageId }.Order(StringComparer.Ordinal), comparison.GetProperty("excluded").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("2 left out: seen in training", excluded.Json.GetProperty("decision").GetProperty("reason").GetString());
        Assert.Equal(1, refused.ExitCode);
        var refusal = refused.Json.GetProperty("decision").GetProperty("reason").GetString()!;
        Assert.Contains("2 test item(s) were in effect in the training data of production v2", refusal);
        Assert.Contains($"{train.ImageId[..12]} (the image was in training)", refusal);
        Assert.Contains($"{test.ImageId[..12]} (set same-car was in training)", refusal);
        var affected = audit.Json.GetProperty("versionsTrainedOnTestItems").EnumerateArray().ToList();
        var v2 = Assert.Single(affected, a => a.GetProperty("skill").GetString() == "makes" && a.GetProperty("version").GetInt32() == 2);
        Assert.Equal([train.ImageId], v2.GetProperty("images").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, (await AliasesAsync(root))[Aliases.Production]);
    }

    [Fact]
    public async Task Promote_DryRun_PrintsDecisionMovesRecordsAndSendsNothing()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "makes@2")).ExitCode);
        var posts = fixture.WebhookPosts.Count;
        var gateFiles = Directory.GetFiles(Path.Combine(root, ".skillmaker", "gate"), "*", SearchOption.AllDirectories).Length;

        var json = await CliRunner.RunAsync(root, "promote", "makes@1", "--dry-run", "--json");
        var human = await CliRunner.RunAsync(root, "promote", "makes@1", "--dry-run");

        Assert.Equal(1, json.ExitCode);
        Assert.True(json.Json.GetProperty("dryRun").GetBoolean());
        Assert.Equal("dry run", json.Json.GetProperty("status").GetString());
        Assert.False(json.Json.GetProperty("decision").GetProperty("passed").GetBoolean());
        Assert.Contains("WOULD NOT PROMOTE", human.Out);
        Assert.Contains("FAIL accuracy", human.Out);
        Assert.Equal(posts, fixture.WebhookPosts.Count);
        Assert.Equal(gateFiles, Directory.GetFiles(Path.Combine(root, ".skillmaker", "gate"), "*", SearchOption.AllDirectories).Length);
        var skills = await CliRunner.RunAsync(root, "skills", "list");
        Assert.DoesNotContain("needs investigation", skills.Out);
        Assert.Equal(2, (await AliasesAsync(root))[Aliases.Production]);
    }

    [Fact]
    public async Task Promote_ToStaging_MovesOnlyStagingWritesNoDeployment()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "makes@2")).ExitCode);
        var compose = File.ReadAllText(Path.Combine(root, "deploy", "docker-compose.yml"));

        var staged = await CliRunner.RunAsync(root, "promote", "makes@1", "--to", "staging", "--json");
        var unknown = await CliRunner.RunAsync(root, "promote", "makes@1", "--to", "canary");

        Assert.Equal(0, staged.ExitCode);
        Assert.Equal("staging", staged.Json.GetProperty("status").GetString());
        Assert.False(staged.Json.GetProperty("decision").GetProperty("passed").GetBoolean());
        var aliases = await AliasesAsync(root);
        Assert.Equal((2, 1), (aliases[Aliases.Production], aliases[Aliases.Staging]));
        Assert.Equal(compose, File.ReadAllText(Path.Combine(root, "deploy", "docker-compose.yml")));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'canary' is not an alias; use one of: production, staging", unknown.Error);
    }

    [Fact]
    public async Task Promote_AfterDecision_ReportAndBundleSayWhatWasDecided()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@1");

        var result = await CliRunner.RunAsync(root, "promote", "makes@2", "--json");

        Assert.Equal(0, result.ExitCode);
        var report = result.Json.GetProperty("reportPath").GetString()!;
        var text = ExternalTool.Run("pdftotext", "-layout", report, "-");
        Assert.Contains("PASSED.", text);
        Assert.Contains("Per-class recall against production", text);
        Assert.DoesNotContain("had not been through", text);
        var bundled = Directory.GetFiles(Path.Combine(root, "deploy", "makes"), "report.pdf", SearchOption.AllDirectories);
        Assert.Contains("PASSED.", ExternalTool.Run("pdftotext", "-layout", Assert.Single(bundled), "-"));
        var post = fixture.WebhookPosts.Last(p => IsFrom(root, p) && p.GetProperty("text").GetString()!.Contains("makes v2 is now production", StringComparison.Ordinal));
        Assert.Equal(report, post.GetProperty("report").GetString());
    }

    [Fact]
    public async Task Promote_ProtectedClassUnknown_NamesFieldAndClassesMovesNothing()
    {
        var root = fixture.Clone();
        await CliRunner.RunAsync(root, "promote", "makes@2");
        var configs = Path.Combine(Path.GetDirectoryName(root)!, "configs");
        Directory.CreateDirectory(configs);
        File.Copy(Path.Combine(fixture.Configs, "makes4.dataset.json"), Path.Combine(configs, "makes4.dataset.json"));
        await File.WriteAllTextAsync(Path.Combine(configs, "protect.json"), fixture.ConfigJson("makes", "makes4.dataset.json", """{ "type": "logistic" }""")
            .Replace("\"minAccuracyDelta\": 0,", "\"minAccuracyDelta\": 0, \"protectedClasses\": [\"trucks\"],", StringComparison.Ordinal));
        var trained = await CliRunner.RunAsync(root, "train", Path.Combine(configs, "protect.json"), "--json");

        var result = await CliRunner.RunAsync(root, "promote", $"makes@{trained.Json.GetProperty("version").GetInt32()}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("gate.protectedClasses", result.Error);
        Assert.Contains("trucks", result.Error);
        Assert.Contains(TrainingFixture.MakesClasses[0], result.Error);
        Assert.Equal(2, (await AliasesAsync(root))[Aliases.Production]);
    }

    /// <summary>Webhook posts are shared by every clone; a post names the report under its clone.</summary>
    private static bool IsFrom(string root, JsonElement post) =>
        post.TryGetProperty("report", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.StartsWith(root, StringComparison.Ordinal);

    /// <summary>An expert's confirmed labels, written as the review page records them (which takes crops only).</summary>
    private static async Task ConfirmLabelsAsync(string root, IEnumerable<string> images, string label)
    {
        var database = Directory.GetFiles(Path.Combine(root, ".skillmaker"), "*.db").Single();
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        foreach (var image in images)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at) VALUES ($image, $label, 'confirmed', 'expert', 'expert', '2026-12-03T00:00:00.0000000+00:00')";
            insert.Parameters.AddWithValue("$image", image);
            insert.Parameters.AddWithValue("$label", label);
            await insert.ExecuteNonQueryAsync();
        }
    }

    private static async Task<Skillmaker.Datasets.DatasetManifest> ManifestOfAsync(string root, string id)
    {
        var workspace = await Workspace.OpenAsync(root, CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        return (await WorkspaceStorage.DatasetStore(catalog).GetManifestAsync(id, CancellationToken.None))!;
    }

    private static async Task<IReadOnlyDictionary<string, int>> AliasesAsync(string root) => (await RegistryAsync(root)).Aliases;
}
