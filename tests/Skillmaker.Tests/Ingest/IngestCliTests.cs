using System.Text.Json;

namespace Skillmaker.Tests.Ingest;

public sealed class IngestCliTests
{
    [Fact]
    public async Task Ingest_JsonWithRejectedFile_PrintsOneObjectAndExitsZero()
    {
        using var dir = new TempDir("cli");
        var ws = Path.Combine(dir.Path, "ws");
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", ws, "--json")).ExitCode);
        var inbox = dir.File("inbox/zero.jpg");
        await File.WriteAllBytesAsync(inbox, []);
        File.Copy(TestAssets.Scene("bus.jpg"), dir.File("inbox/bus.jpg"));

        var result = await CliRunner.RunAsync(dir.Path, "ingest", "inbox", "--source", "phones", "--workspace", ws, "--json");

        Assert.Equal(0, result.ExitCode);
        var json = result.Json;
        Assert.Equal(1, json.GetProperty("added").GetInt32());
        Assert.Equal(0, json.GetProperty("duplicates").GetInt32());
        Assert.Equal(0, json.GetProperty("nearDuplicates").GetInt32());
        var rejected = Assert.Single(json.GetProperty("rejected").EnumerateArray());
        Assert.Equal(inbox, rejected.GetProperty("path").GetString());
        Assert.Equal("empty file (0 bytes)", rejected.GetProperty("reason").GetString());
        // Exactly one JSON document on stdout, nothing else.
        using var reader = new StringReader(result.Out);
        var document = JsonDocument.Parse(result.Out);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Fact]
    public async Task Ingest_TwiceFromEnvironmentWorkspace_SecondAddsNothing()
    {
        using var dir = new TempDir("cli");
        var env = new Dictionary<string, string?> { ["SKILLMAKER_WORKSPACE"] = dir.Path };
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, env, CancellationToken.None, "init")).ExitCode);

        var first = await CliRunner.RunAsync("/", env, CancellationToken.None, "ingest", TestAssets.Scenes, "-s", "scenes", "--json");
        var second = await CliRunner.RunAsync("/", env, CancellationToken.None, "ingest", TestAssets.Scenes, "-s", "scenes", "--json");

        Assert.Equal(25, first.Json.GetProperty("added").GetInt32());
        Assert.Equal(0, second.Json.GetProperty("added").GetInt32());
        Assert.Equal(25, second.Json.GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public async Task Ingest_WithoutSource_ExitsTwoNamingTheOption()
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");

        var result = await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Scenes);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--source", result.Error);
    }

    [Fact]
    public async Task Ingest_BadSourceName_ExitsTwoWithRule()
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");

        var result = await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Scenes, "--source", "a b", "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not a valid source name", result.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Ingest_NoWorkspace_ExitsOneSayingHowToCreateOne()
    {
        using var dir = new TempDir("cli");

        var result = await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Scenes, "--source", "scenes");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No Skillmaker workspace", result.Error);
        Assert.Contains("skillmaker init", result.Error);
    }

    [Fact]
    public async Task Init_Twice_SecondRefusesAndKeepsConfig()
    {
        using var dir = new TempDir("cli");
        var first = await CliRunner.RunAsync(dir.Path, "init", "--seed", "7", "--json");
        var config = await File.ReadAllTextAsync(Path.Combine(dir.Path, ".skillmaker", "config.json"));

        var second = await CliRunner.RunAsync(dir.Path, "init", "--seed", "8");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(7, first.Json.GetProperty("seed").GetInt64());
        Assert.Equal(1, first.Json.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already exists", second.Error);
        Assert.Equal(config, await File.ReadAllTextAsync(Path.Combine(dir.Path, ".skillmaker", "config.json")));
    }

    [Fact]
    public async Task ImagesShow_ByPrefix_ShowsProvenanceOfEveryField()
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");
        var manifest = dir.File("m.csv");
        await File.WriteAllTextAsync(manifest, $"path,set_id,label\n{TestAssets.Scene("bus.jpg")},advert-1,bus\n");
        await CliRunner.RunAsync(dir.Path, "ingest", "--manifest", manifest, "--manifest-root", TestAssets.Scenes, "--source", "dealer");
        var id = await Common.Sha256Hex.OfFileAsync(TestAssets.Scene("bus.jpg"), CancellationToken.None);

        var json = (await CliRunner.RunAsync(dir.Path, "images", "show", id[..10], "--json")).Json;
        var text = await CliRunner.RunAsync(dir.Path, "images", "show", id[..10]);

        Assert.Equal(id, json.GetProperty("id").GetString());
        Assert.Equal("advert-1", json.GetProperty("setId").GetProperty("value").GetString());
        Assert.Equal("source", json.GetProperty("setId").GetProperty("provenance").GetString());
        Assert.Equal("exif", json.GetProperty("dateTaken").GetProperty("provenance").GetString());
        Assert.Equal("bus", json.GetProperty("labels")[0].GetProperty("label").GetString());
        Assert.Equal("hint", json.GetProperty("labels")[0].GetProperty("status").GetString());
        Assert.Equal(810, json.GetProperty("width").GetInt32());
        Assert.Contains("hint bus (source, manifest:", text.Out);
        Assert.Contains("date taken", text.Out);
        Assert.Contains("2019-03-01T13:06:33 (exif", text.Out);
    }

    [Fact]
    public async Task ImagesShow_UnknownId_ExitsOne()
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");

        var unknown = await CliRunner.RunAsync(dir.Path, "images", "show", "abcdef123456");
        var malformed = await CliRunner.RunAsync(dir.Path, "images", "show", "xyz");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No image with id abcdef123456", unknown.Error);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("not an image id", malformed.Error);
    }

    [Fact]
    public async Task ImagesList_Json_ListsIngestedImagesOfSource()
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");
        await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Scenes, "--source", "scenes");
        await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.CarPhotos()[0], "--source", "cars");

        var json = (await CliRunner.RunAsync(dir.Path, "images", "list", "--source", "scenes", "--json")).Json;

        Assert.Equal(25, json.GetProperty("count").GetInt32());
        var names = json.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("originalFileName").GetString()).ToHashSet();
        Assert.Contains("zidane.jpg", names);
        Assert.Contains("cctv_street_screenshot.png", names);
    }

    [Fact]
    public async Task Help_Ingest_DocumentsOptions()
    {
        var result = await CliRunner.RunAsync("/", "ingest", "--help");

        foreach (var option in new[] { "--source", "--labels-from-folders", "--sets-from-folders", "--manifest", "set_id, label, date_taken" })
            Assert.Contains(option, result.Out);
    }
}
