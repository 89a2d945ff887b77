using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skillmaker.Demo;
using Skillmaker.Storage.Files;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Demo;

/// <summary>`skillmaker demo --json` run once, as a user types it, on the real shared assets in a
/// temporary workspace; the tests check what it left behind.</summary>
public sealed class DemoFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new("demo");

    public string Workspace => Path.Combine(_dir.Path, "ws");
    public CliResult Result { get; private set; } = null!;
    public JsonElement Json => Result.Json;

    public async Task InitializeAsync()
    {
        Result = await CliRunner.RunAsync(_dir.Path, "demo", "--workspace", Workspace, "--json");
        if (Result.ExitCode != 0) throw new InvalidOperationException($"demo failed ({Result.ExitCode}): {Result.Error}\n{Result.Out}");
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Workspace, ".skillmaker", "catalog.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    public IEnumerable<JsonElement> Skills => Json.GetProperty("skills").EnumerateArray();

    public JsonElement Skill(string name) => Skills.Single(s => s.GetProperty("name").GetString() == name);

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class DemoTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png"];

    private static int PhotosIn(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()));

    [Fact]
    public void Demo_Json_IsOneObjectWithEveryStageInOrder()
    {
        var stages = demo.Json.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();

        Assert.Equal(new[] { "ingest cars", "ingest scenes", "detect", "crowd", "extract", "train", "evaluate", "report", "promote", "serve" }, stages);
        Assert.All(demo.Json.GetProperty("stages").EnumerateArray(), s => Assert.False(string.IsNullOrWhiteSpace(s.GetProperty("summary").GetString())));
        Assert.Equal(Path.GetFullPath(demo.Workspace), demo.Json.GetProperty("workspace").GetProperty("path").GetString());
        Assert.Contains("created", demo.Json.GetProperty("workspace").GetProperty("action").GetString());
        Assert.Equal(TestAssets.Dir, demo.Json.GetProperty("assets").GetString());
        Assert.False(string.IsNullOrEmpty(demo.Json.GetProperty("codeVersion").GetString()));
    }

    [Fact]
    public async Task Demo_Catalog_HoldsEveryPhotoOfBothSources()
    {
        var originals = (await demo.QueryAsync("SELECT COUNT(*) FROM images WHERE kind = 'original'", r => r.GetInt32(0))).Single();
        var sources = await demo.QueryAsync("SELECT source, COUNT(DISTINCT image_id) FROM image_occurrences GROUP BY source ORDER BY source", r => (r.GetString(0), r.GetInt32(1)));

        Assert.Equal(PhotosIn(TestAssets.Cars) + PhotosIn(TestAssets.Scenes), originals);
        Assert.Equal(new[] { (DemoRunner.ScenesSource, PhotosIn(TestAssets.Scenes)), (DemoRunner.CarsSource, PhotosIn(TestAssets.Cars)) }, sources);
        var catalog = demo.Json.GetProperty("catalog");
        Assert.Equal(originals, catalog.GetProperty("counts").GetProperty("originals").GetInt32());
        Assert.Equal(new[] { DemoRunner.ScenesSource, DemoRunner.CarsSource }, catalog.GetProperty("sources").EnumerateArray().Select(s => s.GetString()));
        Assert.True(File.Exists(catalog.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Demo_Labels_AreTheSourcesHintsWithProvenanceSource()
    {
        var labels = await demo.QueryAsync("SELECT status, provenance, COUNT(*) FROM labels GROUP BY status, provenance", r => (r.GetString(0), r.GetString(1), r.GetInt32(2)));
        // A photo's label goes to its subject crop only (label attribution), not to background vehicles.
        var hintedCrops = (await demo.QueryAsync(
            "SELECT COUNT(*) FROM images c JOIN crop_attributions a ON a.crop_id = c.id AND a.subject = 1 WHERE c.kind = 'crop' AND EXISTS (SELECT 1 FROM labels l WHERE l.image_id = c.parent_id AND l.status = 'hint')", r => r.GetInt32(0))).Single();
        var background = (await demo.QueryAsync(
            "SELECT COUNT(*) FROM images c JOIN crop_attributions a ON a.crop_id = c.id AND a.subject = 0 WHERE c.kind = 'crop' AND EXISTS (SELECT 1 FROM labels l WHERE l.image_id = c.parent_id AND l.status = 'hint')", r => r.GetInt32(0))).Single();

        // Nobody confirmed anything: every label is a folder name the source gave.
        Assert.Equal(new[] { ("hint", "source", PhotosIn(TestAssets.Cars)) }, labels);
        var crowd = demo.Json.GetProperty("crowd");
        Assert.Equal("source", crowd.GetProperty("provenance").GetString());
        Assert.Equal(hintedCrops, crowd.GetProperty("labelsAccepted").GetInt32());
        Assert.Contains($"accepted {hintedCrops} label hints from the source as labels (provenance: source; each photo's label goes to its subject only, {background} background vehicles get none)", crowd.GetProperty("note").GetString());
        Assert.True(background > 0, "the shared car photos have background cars");
        Assert.Contains("crowd page", crowd.GetProperty("note").GetString());
        foreach (var skill in demo.Skills)
            Assert.True(JsonDocument.Parse(File.ReadAllText(skill.GetProperty("definitionFile").GetString()!)).RootElement.GetProperty("allowLabelHints").GetBoolean());
    }

    [Fact]
    public async Task Demo_Crops_AreInCatalogBlobStoreAndCrowdQueue()
    {
        var crops = await demo.QueryAsync("SELECT id, parent_id FROM images WHERE kind = 'crop'", r => (Id: r.GetString(0), Parent: r.GetString(1)));
        var queued = (await demo.QueryAsync("SELECT COUNT(*) FROM crowd_tasks", r => r.GetInt32(0))).Single();
        var blobs = new FileBlobStore(demo.Json.GetProperty("catalog").GetProperty("blobs").GetString()!);

        Assert.NotEmpty(crops);
        Assert.Equal(crops.Count, demo.Json.GetProperty("catalog").GetProperty("counts").GetProperty("crops").GetInt32());
        Assert.Equal(crops.Count, demo.Json.GetProperty("stages")[2].GetProperty("details").GetProperty("cropsCreated").GetInt32());
        foreach (var (id, _) in crops) Assert.True(await blobs.ExistsAsync(id, CancellationToken.None), $"crop {id} is not in the blob store");
        Assert.Equal(crops.Count, queued);
        Assert.Equal(queued, demo.Json.GetProperty("crowd").GetProperty("tasksQueued").GetInt32());
    }

    [Fact]
    public async Task Demo_Manifests_ExistWithStickySplitsThatPassTheAudit()
    {
        var cropIds = (await demo.QueryAsync("SELECT id FROM images WHERE kind = 'crop'", r => r.GetString(0))).ToHashSet();
        foreach (var skill in demo.Skills)
        {
            var manifest = JsonDocument.Parse(File.ReadAllText(skill.GetProperty("manifestJson").GetString()!)).RootElement;
            var items = manifest.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(skill.GetProperty("manifestId").GetString(), manifest.GetProperty("id").GetString());
            Assert.True(File.Exists(skill.GetProperty("manifestCsv").GetString()));
            Assert.All(items, i => Assert.Contains(i.GetProperty("imageId").GetString()!, cropIds));
            Assert.Equal(skill.GetProperty("testItems").GetInt32(), items.Count(i => i.GetProperty("split").GetString() == "test"));
            Assert.Equal(skill.GetProperty("trainItems").GetInt32(), items.Count(i => i.GetProperty("split").GetString() == "train"));
            Assert.True(skill.GetProperty("testItems").GetInt32() > 0);
        }
        var audit = await CliRunner.RunAsync("/", "splits", "audit", "--workspace", demo.Workspace, "--json");
        Assert.Equal(0, audit.ExitCode);
        Assert.True(audit.Json.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void Demo_Skills_AreMakeAndAVariantServedAsACascade()
    {
        var make = demo.Skill(DemoPlan.MakeSkill);
        var variant = demo.Skills.Single(s => s.GetProperty("name").GetString() != DemoPlan.MakeSkill);
        var serving = JsonDocument.Parse(File.ReadAllText(demo.Json.GetProperty("serving").GetProperty("config").GetString()!)).RootElement.GetProperty("cascade");
        var variantMake = serving.GetProperty("next").EnumerateObject().Single();

        Assert.Equal(DemoPlan.MakeSkill, serving.GetProperty("skill").GetString());
        Assert.Equal(variant.GetProperty("name").GetString(), variantMake.Value.GetProperty("skill").GetString());
        Assert.Contains(variantMake.Name, make.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        // The variant classes are the car folders of that make.
        Assert.All(variant.GetProperty("labels").EnumerateArray(), l => Assert.True(Directory.Exists(Path.Combine(TestAssets.Cars, l.GetString()!))));
        Assert.True(variant.GetProperty("labels").GetArrayLength() >= 2);
        Assert.True(make.GetProperty("labels").GetArrayLength() >= 2);
    }

    [Fact]
    public void Demo_Packages_AreCompleteAndRecordTheirVersions()
    {
        foreach (var skill in demo.Skills)
        {
            var package = skill.GetProperty("package").GetString()!;
            var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "skill.json"))).RootElement;
            Assert.Equal(skill.GetProperty("name").GetString(), info.GetProperty("name").GetString());
            Assert.Equal(skill.GetProperty("version").GetInt32(), info.GetProperty("version").GetInt32());
            Assert.Equal(demo.Json.GetProperty("codeVersion").GetString(), info.GetProperty("codeVersion").GetString());
            Assert.Equal(skill.GetProperty("manifestId").GetString(), info.GetProperty("manifestId").GetString());
            Assert.True(File.Exists(Path.Combine(package, info.GetProperty("head").GetProperty("file").GetString()!)));
            Assert.Equal(Sha256Of(TestAssets.Backbone), info.GetProperty("backbone").GetProperty("sha256").GetString());
            Assert.Equal(info.GetProperty("metrics").GetProperty("accuracy").GetDouble(), skill.GetProperty("accuracy").GetDouble(), 6);
            Assert.True(File.Exists(skill.GetProperty("evaluation").GetString()));
        }
    }

    [Fact]
    public void Demo_ReportPdfs_AreRealPdfsOfTheirSkill()
    {
        foreach (var skill in demo.Skills)
        {
            var pdf = skill.GetProperty("report").GetString()!;
            Assert.Equal("%PDF-"u8.ToArray(), File.ReadAllBytes(pdf)[..5]);
            var text = ExternalTool.Run("pdftotext", "-layout", pdf, "-");
            Assert.Contains($"Model report: {skill.GetProperty("name").GetString()} v{skill.GetProperty("version").GetInt32()}", text);
            Assert.Contains("3. Metrics", text);
            Assert.Contains($"{skill.GetProperty("accuracy").GetDouble() * 100:0.0}%", text);
            Assert.Contains(skill.GetProperty("manifestId").GetString()!, text);
        }
    }

    [Fact]
    public async Task Demo_Promotion_IsRecordedAndMovedProductionWithDeployFiles()
    {
        var listed = await CliRunner.RunAsync("/", "skills", "list", "--workspace", demo.Workspace, "--json");

        foreach (var skill in demo.Skills)
        {
            var name = skill.GetProperty("name").GetString()!;
            var record = JsonDocument.Parse(File.ReadAllText(skill.GetProperty("promotionRecord").GetString()!)).RootElement;
            Assert.True(skill.GetProperty("promoted").GetBoolean());
            Assert.True(record.GetProperty("decision").GetProperty("passed").GetBoolean());
            Assert.True(record.GetProperty("decision").GetProperty("firstPromotion").GetBoolean());
            var aliases = listed.Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("aliases");
            Assert.Equal(skill.GetProperty("version").GetInt32(), aliases.GetProperty("production").GetInt32());
            var compose = File.ReadAllText(skill.GetProperty("deploymentFiles").EnumerateArray().Select(f => f.GetString()!).Single(f => f.EndsWith("docker-compose.yml", StringComparison.Ordinal)));
            Assert.Contains(name, compose);
        }
    }

    [Fact]
    public void Demo_ServedAnswers_CarRunsTheCascadeWithVersionsAndEmptySceneRunsNothing()
    {
        var answers = demo.Json.GetProperty("answers").EnumerateArray().ToList();
        var versions = demo.Skills.ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("version").GetInt32());

        Assert.Equal(3, answers.Count);
        Assert.All(answers, a => Assert.Equal(200, a.GetProperty("httpStatus").GetInt32()));
        Assert.All(answers, a => Assert.True(File.Exists(Path.Combine(TestAssets.Dir, a.GetProperty("photo").GetString()!)), a.GetProperty("photo").GetString()));
        var car = answers[0];
        Assert.StartsWith("cars/", car.GetProperty("photo").GetString());
        Assert.False(string.IsNullOrEmpty(car.GetProperty("truth").GetString()));
        Assert.True(car.GetProperty("answer").GetProperty("vehicle").GetProperty("detected").GetBoolean());
        var cascade = car.GetProperty("answer").GetProperty("cascade").EnumerateArray().ToList();
        Assert.Equal(DemoPlan.MakeSkill, cascade[0].GetProperty("skill").GetString());
        foreach (var stage in cascade)
        {
            Assert.Equal(versions[stage.GetProperty("skill").GetString()!], stage.GetProperty("skillVersion").GetInt32());
            Assert.Equal(demo.Json.GetProperty("codeVersion").GetString(), stage.GetProperty("codeVersion").GetString());
        }
        Assert.Equal(string.Join(", ", cascade.Select(s => $"{s.GetProperty("skill").GetString()}@{s.GetProperty("skillVersion").GetInt32()}")), car.GetProperty("skillVersionsHeader").GetString());
        Assert.Contains(answers, a => a.GetProperty("photo").GetString()!.StartsWith("scenes/", StringComparison.Ordinal) && a.GetProperty("answer").GetProperty("vehicle").GetProperty("detected").GetBoolean());
        var empty = answers.Single(a => !a.GetProperty("answer").GetProperty("vehicle").GetProperty("detected").GetBoolean());
        Assert.StartsWith("scenes/", empty.GetProperty("photo").GetString());
        Assert.Equal(0, empty.GetProperty("answer").GetProperty("cascade").GetArrayLength());
        Assert.All(answers, a => Assert.Equal(demo.Json.GetProperty("codeVersion").GetString(), a.GetProperty("answer").GetProperty("codeVersion").GetString()));
        Assert.True(demo.Json.GetProperty("serving").GetProperty("stopped").GetBoolean());
        Assert.StartsWith("http://127.0.0.1:", demo.Json.GetProperty("serving").GetProperty("address").GetString());
    }

    [Fact]
    public void Demo_Artefacts_NameEveryKindAndEveryPathExists()
    {
        var artefacts = demo.Json.GetProperty("artefacts").EnumerateArray().Select(a => (Name: a.GetProperty("name").GetString()!, Path: a.GetProperty("path").GetString()!)).ToList();

        foreach (var kind in new[] { "workspace", "catalog", "blobs", "crops", "manifest", "skill package", "report PDF", "promotion record", "deploy: Dockerfile", "deploy: image contents", "deploy: CloudFormation", "deploy: docker compose", "serving config", "skill config", "evaluation" })
            Assert.Contains(artefacts, a => a.Name.EndsWith(kind, StringComparison.Ordinal));
        Assert.All(artefacts, a => Assert.True(File.Exists(a.Path) || Directory.Exists(a.Path), $"{a.Name}: {a.Path} does not exist"));
        Assert.All(artefacts, a => Assert.StartsWith(Path.GetFullPath(demo.Workspace), a.Path));
    }

    private static string Sha256Of(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}

/// <summary>What the demo refuses, each before any work: missing assets, someone else's folder.</summary>
public sealed class DemoRefusalTests
{
    [Fact]
    public async Task Demo_AssetsWithoutModelsAndScenes_NamesEachMissingPieceAndWhereItLooked()
    {
        using var dir = new TempDir("demo-assets");
        var assets = Path.Combine(dir.Path, "assets");
        foreach (var label in Directory.GetDirectories(TestAssets.Cars).Order(StringComparer.Ordinal).Take(2))
        {
            var folder = Path.Combine(assets, "cars", Path.GetFileName(label));
            Directory.CreateDirectory(folder);
            var photo = Directory.GetFiles(label, "*.jpg").Order(StringComparer.Ordinal).First();
            File.Copy(photo, Path.Combine(folder, Path.GetFileName(photo)));
        }
        var ws = Path.Combine(dir.Path, "ws");

        var result = await CliRunner.RunAsync(dir.Path, "demo", "--assets", assets, "--workspace", ws);
        var json = await CliRunner.RunAsync(dir.Path, "demo", "--assets", assets, "--workspace", ws, "--json");

        Assert.Equal(1, result.ExitCode);
        foreach (var expected in new[]
                 {
                     "scenes/", Path.Combine(assets, "scenes"), Path.Combine(assets, "detector", "yolov8n_int8.onnx"),
                     Path.Combine(assets, "backbone", "mobilenetv2-12-int8-features.onnx"), $"{assets} (the assets folder given)",
                 })
            Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("cars/:", result.Error);
        Assert.False(Directory.Exists(ws), "nothing is written when assets are missing");
        Assert.Equal(1, json.ExitCode);
        Assert.Contains(Path.Combine(assets, "detector", "yolov8n_int8.onnx"), json.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Demo_AssetsNotFound_ListsThePlacesLookedAndWhatIsNeeded()
    {
        using var dir = new TempDir("demo-assets");
        var nowhere = Path.Combine(dir.Path, "no-such-assets");

        var result = await CliRunner.RunAsync(dir.Path, new Dictionary<string, string?> { ["SKILLMAKER_ASSETS"] = nowhere }, CancellationToken.None, "demo", "--workspace", Path.Combine(dir.Path, "ws"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{nowhere} ($SKILLMAKER_ASSETS)", result.Error);
        foreach (var needed in new[] { "cars/", "scenes/", "detector/yolov8n_int8.onnx", "backbone/mobilenetv2-12-int8-features.onnx", "Give the assets folder" })
            Assert.Contains(needed, result.Error);
    }

    [Fact]
    public async Task Demo_IntoForeignWorkspace_RefusesToWipeIt()
    {
        using var dir = new TempDir("demo");
        await CliRunner.RunAsync(dir.Path, "init");

        var result = await CliRunner.RunAsync(dir.Path, "demo", "--workspace", dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("did not create", result.Error);
        Assert.True(File.Exists(Path.Combine(dir.Path, ".skillmaker", "catalog.db")));
    }

    [Fact]
    public async Task CreateFresh_NonEmptyFolder_RefusesAndLeavesItUntouched()
    {
        using var dir = new TempDir("demo");
        var keep = dir.File("notes.txt");
        await File.WriteAllTextAsync(keep, "mine");

        var error = await Assert.ThrowsAsync<Common.SkillmakerException>(() => DemoWorkspace.CreateFreshAsync(dir.Path, TimeProvider.System, CancellationToken.None));

        Assert.Contains("not empty", error.Message);
        Assert.Contains("choose another folder", error.Message);
        Assert.Equal("mine", await File.ReadAllTextAsync(keep));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".skillmaker")));
    }

    [Fact]
    public async Task CreateFresh_PreviousDemoWorkspace_ReplacesItAndSaysSo()
    {
        using var dir = new TempDir("demo");
        var root = Path.Combine(dir.Path, "ws");
        var (first, created) = await DemoWorkspace.CreateFreshAsync(root, TimeProvider.System, CancellationToken.None);
        var leftover = Path.Combine(root, "reports", "old.pdf");
        Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
        await File.WriteAllTextAsync(leftover, "old");

        var (second, replaced) = await DemoWorkspace.CreateFreshAsync(root, TimeProvider.System, CancellationToken.None);

        Assert.Contains("created the new folder", created);
        Assert.Contains("replaced the previous demo workspace", replaced);
        Assert.False(File.Exists(leftover));
        Assert.True(DemoWorkspace.IsDemoWorkspace(root));
        Assert.Equal(first.Config.Seed, second.Config.Seed);
    }
}

public sealed class DemoPlanTests
{
    [Fact]
    public void From_FoldersWithoutLabelsCsv_GroupsByFolderPrefixAndPicksTheMakeWithMostVariants()
    {
        var plan = DemoPlan.From(["audi_a4_2012", "audi_s5_2012", "bmw_m3_2012", "kia_rio_2010"], null, "/models/backbone.onnx");

        var makes = JsonDocument.Parse(plan.Make.DefinitionJson).RootElement.GetProperty("classes").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToArray());
        Assert.Equal(new[] { "audi", "bmw", "kia" }, makes.Keys);
        Assert.Equal(new[] { "audi_a4_2012", "audi_s5_2012" }, makes["audi"]);
        Assert.Equal("audi", plan.VariantMake);
        Assert.Equal("audi-variant", plan.Variant!.Name);
        Assert.Equal("audi-variant", plan.Serving().Cascade!.Next["audi"].Skill);
        var config = JsonDocument.Parse(plan.Make.ConfigJson).RootElement;
        Assert.Equal("/models/backbone.onnx", config.GetProperty("network").GetProperty("backbone").GetProperty("path").GetString());
        Assert.Equal(plan.Make.DefinitionFile, config.GetProperty("definition").GetString());
        Assert.True(JsonDocument.Parse(plan.Make.DefinitionJson).RootElement.GetProperty("allowLabelHints").GetBoolean());
    }

    [Fact]
    public async Task From_LabelsCsv_TakesEachFoldersMakeFromItsMakeColumn()
    {
        using var dir = new TempDir("plan");
        var csv = dir.File("labels.csv");
        await File.WriteAllTextAsync(csv, "file,make,model\ngolf_2012/1.jpg,Volkswagen,Golf\npassat_2010/7.jpg,Volkswagen,Passat\nmodel_s/3.jpg,Tesla,Model S\n");

        var plan = DemoPlan.From(["golf_2012", "model_s", "passat_2010"], csv, "b.onnx");

        Assert.Equal("volkswagen", plan.VariantMake);
        Assert.Equal("volkswagen-variant", plan.Variant!.Name);
        var classes = JsonDocument.Parse(plan.Make.DefinitionJson).RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(new[] { "tesla", "volkswagen" }, classes);
    }

    [Fact]
    public void From_OneMakeOnly_SaysTheMakeSkillNeedsTwo()
    {
        var error = Assert.Throws<Common.SkillmakerException>(() => DemoPlan.From(["audi_a4", "audi_s5"], null, "b.onnx"));

        Assert.Contains("at least two makes", error.Message);
    }
}
