
namespace Skillmaker.Tests.Detection;

public sealed class DetectCommandTests
{
    [Fact]
    public async Task Detect_FileWithJson_PrintsOneObjectWithTheBus()
    {
        using var dir = new TempDir("cli");

        var result = await CliRunner.RunAsync(dir.Path, "detect", "--file", TestAssets.Scene("bus.jpg"), "--json");

        Assert.Equal(0, result.ExitCode);
        var image = Assert.Single(result.Json.GetProperty("images").EnumerateArray());
        Assert.Equal("one", image.GetProperty("outcome").GetString());
        Assert.Equal((810, 1080), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        var vehicle = Assert.Single(image.GetProperty("detections").EnumerateArray(), d => d.GetProperty("role").GetString() == "vehicle");
        Assert.Equal("bus", vehicle.GetProperty("class").GetString());
        Assert.Equal(4, vehicle.GetProperty("crop").GetArrayLength());
        Assert.Equal("8c6f0ca55e9b86c15fd6788a9edb78da087881df55cb225a64842284b84e250c", result.Json.GetProperty("model").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Detect_InWorkspace_RecordsAndSecondRunProcessesNothing()
    {
        using var dir = new TempDir("cli");
        var ws = Path.Combine(dir.Path, "ws");
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", ws)).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Scene("parking_lot_multi.jpg"), TestAssets.Scene("sunset_sea.jpg"), "-s", "scenes", "-w", ws)).ExitCode);

        var first = await CliRunner.RunAsync(dir.Path, "detect", "-w", ws, "--json", "--preview", Path.Combine(dir.Path, "prev"));
        var second = await CliRunner.RunAsync(dir.Path, "detect", "-w", ws, "--json");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal((2, 1, 1), (first.Json.GetProperty("processed").GetInt32(), first.Json.GetProperty("noVehicle").GetInt32(), first.Json.GetProperty("severalVehicles").GetInt32()));
        Assert.True(first.Json.GetProperty("cropsCreated").GetInt32() >= 2);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir.Path, "prev")).Length);
        Assert.Equal((0, 2), (second.Json.GetProperty("processed").GetInt32(), second.Json.GetProperty("alreadyProcessed").GetInt32()));
        var crops = await CliRunner.RunAsync(dir.Path, "images", "list", "--kind", "crop", "-w", ws, "--json");
        Assert.Equal(first.Json.GetProperty("cropsCreated").GetInt32(), crops.Json.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Detect_MissingModel_FailsWithOneClearLine()
    {
        using var dir = new TempDir("cli");

        var result = await CliRunner.RunAsync(dir.Path, "detect", "--file", TestAssets.Scene("bus.jpg"), "--model", "nowhere.onnx", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nowhere.onnx does not exist", result.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Detect_ScoreOutOfRange_IsAUsageError()
    {
        using var dir = new TempDir("cli");

        var result = await CliRunner.RunAsync(dir.Path, "detect", "--file", TestAssets.Scene("bus.jpg"), "--min-score", "1.5");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--min-score is 1.5", result.Error);
    }

    [Fact]
    public async Task Detect_UndecodableFile_ReportsItAndStillDetectsTheOthers()
    {
        using var dir = new TempDir("cli");
        var bad = dir.File("notes.jpg");
        File.WriteAllText(bad, "shopping list");

        var result = await CliRunner.RunAsync(dir.Path, "detect", "--file", bad, TestAssets.Scene("zidane.jpg"), "--json");

        Assert.Equal(1, result.ExitCode);
        var images = result.Json.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal("failed", images[0].GetProperty("outcome").GetString());
        Assert.Contains("not an image", images[0].GetProperty("error").GetString());
        Assert.Equal("none", images[1].GetProperty("outcome").GetString());
    }
}
