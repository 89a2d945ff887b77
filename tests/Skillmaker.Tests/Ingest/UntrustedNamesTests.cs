using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Review;

namespace Skillmaker.Tests.Ingest;

/// <summary>Regression tests for issue 22's findings on untrusted names: label hints with markup were
/// accepted at ingest and could then never be confirmed; file names with terminal escape sequences were
/// printed raw by `images list`.</summary>
public sealed class UntrustedNamesTests
{
    [Fact]
    public async Task Ingest_ManifestLabelsWithMarkupOrControls_RejectedAsInvalidLabelValidOnesKeptAndConfirmable()
    {
        using var dir = new TempDir("labels");
        var scenes = Directory.GetFiles(TestAssets.Scenes, "*.jpg").Order(StringComparer.Ordinal).Take(3).ToList();
        for (var i = 0; i < 3; i++) File.Copy(scenes[i], dir.File($"m/{i}.jpg"));
        await File.WriteAllLinesAsync(dir.File("m/m.csv"), ["path,label", "0.jpg,<script>alert(1)</script>", "1.jpg,\"audi\u001b[2Js4\"", "2.jpg,audi s4 sedan/2012"]);
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init")).ExitCode);

        var result = await CliRunner.RunAsync(ws, "ingest", "--manifest", dir.File("m/m.csv"), "--source", "m", "--json");
        var list = await CliRunner.RunAsync(ws, "images", "list", "--json");

        var json = result.Json;
        Assert.Equal(1, json.GetProperty("added").GetInt32());
        var rejected = json.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.Equal(nameof(RejectCode.InvalidLabel), r.GetProperty("code").GetString(), ignoreCase: true));
        Assert.All(rejected, r => Assert.Contains(LabelNames.Rule, r.GetProperty("reason").GetString(), StringComparison.Ordinal));
        Assert.DoesNotContain(rejected, r => r.GetProperty("reason").GetString()!.Contains('\u001b'));
        var hint = Assert.Single(Assert.Single(list.Json.GetProperty("images").EnumerateArray()).GetProperty("labelHints").EnumerateArray()).GetString();
        // What ingest lets in, review can confirm as it is.
        Assert.Equal(hint, ReviewService.ValidateLabel(hint));
    }

    [Fact]
    public async Task ImagesList_FileNameWithTerminalEscapes_PrintedAsVisibleEscapesNotObeyed()
    {
        using var dir = new TempDir("escapes");
        const string Evil = "car\u001b]0;pwned\u0007\u001b[31m\u202egpj.jpg";
        File.Copy(TestAssets.Scene("bus.jpg"), dir.File("photos/" + Evil));
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "ingest", dir.File("photos"), "--source", "s")).ExitCode);

        var table = await CliRunner.RunAsync(ws, "images", "list");

        Assert.Equal(0, table.ExitCode);
        Assert.DoesNotContain('\u001b', table.Out);
        Assert.DoesNotContain('\u0007', table.Out);
        Assert.DoesNotContain('\u202e', table.Out);
        Assert.Contains("car\\x1b]0;pwned\\x07\\x1b[31m\\u202egpj.jpg", table.Out.Replace("\n", "", StringComparison.Ordinal).Replace("│", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
