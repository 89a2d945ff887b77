using SkiaSharp;

namespace Skillmaker.Tests.Datasets;

public sealed class DatasetCliTests
{
    private const string Definition = """
        { "name": "cars13", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true,
          "balance": { "minPerClass": 5 },
          "augmentations": [ { "op": "hflip", "p": 0.5 }, { "op": "rotate", "p": 0.5, "degrees": 10 } ] }
        """;

    [Fact]
    public async Task ExtractAuditPreview_OnIngestedCars_ManifestAuditAndContactSheet()
    {
        using var dir = new TempDir("dscli");
        await CliRunner.RunAsync(dir.Path, "init", "--seed", "5");
        await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Cars, "--source", "cars", "--labels-from-folders");
        await File.WriteAllTextAsync(dir.File("def.json"), Definition);

        var extract = await CliRunner.RunAsync(dir.Path, "extract", "def.json", "--test-fraction", "0.25", "--json");
        var audit = await CliRunner.RunAsync(dir.Path, "splits", "audit");
        var list = await CliRunner.RunAsync(dir.Path, "manifests", "list", "--json");
        var preview = await CliRunner.RunAsync(dir.Path, "augment", "preview", "def.json", "--out", "preview", "--count", "3", "--copies", "4", "--json");

        Assert.Equal(0, extract.ExitCode);
        Assert.Equal(364, extract.Json.GetProperty("items").GetInt32());
        Assert.InRange(extract.Json.GetProperty("test").GetInt32(), 80, 100);
        Assert.True(File.Exists(extract.Json.GetProperty("csv").GetString()));
        Assert.Equal(0, audit.ExitCode);
        Assert.Equal(4, audit.Out.Split('\n').Count(l => l.StartsWith("PASS", StringComparison.Ordinal)));
        Assert.Equal(extract.Json.GetProperty("manifestId").GetString(), list.Json.GetProperty("manifests")[0].GetProperty("id").GetString());
        Assert.Equal(0, preview.ExitCode);
        using var sheet = SKBitmap.Decode(preview.Json.GetProperty("path").GetString());
        Assert.True(sheet.Height >= 3 * 160, $"sheet is {sheet.Width}x{sheet.Height}");
    }

    [Fact]
    public async Task Extract_BadFraction_ExitsTwo()
    {
        using var dir = new TempDir("dscli");
        await CliRunner.RunAsync(dir.Path, "init");
        await File.WriteAllTextAsync(dir.File("def.json"), Definition);

        var result = await CliRunner.RunAsync(dir.Path, "extract", "def.json", "--test-fraction", "1.2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("outside [0, 1)", result.Error);
    }

    [Fact]
    public async Task Extract_EmptyCatalog_ExplainsWhyNoClasses()
    {
        using var dir = new TempDir("dscli");
        await CliRunner.RunAsync(dir.Path, "init");
        await File.WriteAllTextAsync(dir.File("def.json"), Definition);

        var result = await CliRunner.RunAsync(dir.Path, "extract", "def.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("at least two classes are needed", result.Error);
    }
}
