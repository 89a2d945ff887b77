using System.Text.Json.Nodes;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

/// <summary><c>crawl</c> and <c>ingest --urls</c> as a user types them, against the loopback test site.</summary>
public sealed class SourcesCliTests
{
    /// <summary>A workspace whose config has short timeouts and a small image limit, as a user would write it.</summary>
    private static async Task<string> InitAsync(TempDir dir)
    {
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", "--json")).ExitCode);
        var path = Path.Combine(dir.Path, ".skillmaker", "config.json");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        config["sources"] = new JsonObject { ["requestTimeoutSeconds"] = 1.5, ["maxAttempts"] = 2, ["retryDelaySeconds"] = 0.01 };
        config["ingest"]!["maxFileBytes"] = 2 * 1024 * 1024;
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return dir.Path;
    }

    [Fact]
    public async Task Crawl_Json_SummaryOnStdoutAndSecondRunPassesBy()
    {
        await using var site = await TestSite.StartAsync(new TestSiteOptions { Slow = false });
        using var dir = new TempDir("cli");
        await InitAsync(dir);
        string[] args = ["crawl", site.Root.AbsoluteUri, "--source", "dealer", "--delay-ms", "0", "--image-selector", ".gallery",
            "--label-jsonld", "brand.name", "--label-jsonld", "model", "--json"];

        var first = await CliRunner.RunAsync(dir.Path, args);
        var second = await CliRunner.RunAsync(dir.Path, args);

        Assert.Equal(0, first.ExitCode);
        var json = first.Json;
        Assert.Equal(3, json.GetProperty("pages").GetProperty("listings").GetInt32());
        Assert.Equal(6, json.GetProperty("images").GetProperty("added").GetInt32());
        var skipped = json.GetProperty("pages").GetProperty("skipped").EnumerateArray().ToList();
        Assert.Contains(skipped, s => s.GetProperty("code").GetString() == "robotsDisallowed");
        Assert.Contains(skipped, s => s.GetProperty("code").GetString() == "redirectLoop");
        Assert.Contains(json.GetProperty("images").GetProperty("rejected").EnumerateArray(), r => r.GetProperty("code").GetString() == "notAnImage");
        Assert.Equal(0.01, json.GetProperty("hosts")[0].GetProperty("crawlDelaySeconds").GetDouble());
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(0, second.Json.GetProperty("pages").GetProperty("fetched").GetInt32());
        Assert.True(second.Json.GetProperty("images").GetProperty("doneBefore").GetInt32() >= 6);

        var listed = (await CliRunner.RunAsync(dir.Path, "images", "list", "--source", "dealer", "--json")).Json;
        Assert.Equal(6, listed.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task IngestUrls_Text_TableWithReasons()
    {
        await using var site = await TestSite.StartAsync();
        using var dir = new TempDir("cli");
        await InitAsync(dir);
        await File.WriteAllTextAsync(dir.File("urls.txt"), $"{site.Url("/img/3-0.jpg")}\n{site.Url("/img/broken.jpg")}\n");

        var result = await CliRunner.RunAsync(dir.Path, "ingest", "--urls", "urls.txt", "--source", "feed", "--allow-private");
        var again = await CliRunner.RunAsync(dir.Path, "ingest", "--urls", "urls.txt", "--source", "feed", "--allow-private", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("rejected " + site.Url("/img/broken.jpg") + ": not an image: the server sent HTML", result.Out);
        Assert.Equal(2, again.Json.GetProperty("alreadyDone").GetInt32());
        Assert.Equal(0, again.Json.GetProperty("added").GetInt32());
    }

    [Theory]
    [InlineData("crawl", "ftp://cars.example/", "--source", "s")]
    [InlineData("crawl", "not a url", "--source", "s")]
    [InlineData("crawl", "https://cars.example/", "--source", "s", "--label-selector", "h1[")]
    [InlineData("crawl", "https://cars.example/", "--source", "s", "--listing-pattern", "(")]
    [InlineData("crawl", "https://cars.example/", "--source", "s", "--allow", "bad host!")]
    [InlineData("crawl", "https://cars.example/", "--source", "s", "--max-pages", "0")]
    [InlineData("crawl", "https://cars.example/", "--source", "a b")]
    [InlineData("ingest", "photos", "--urls", "urls.txt", "--source", "s")]
    [InlineData("ingest", "photos", "--allow-private", "--source", "s")]
    public async Task Sources_BadCommandLine_ExitsTwoBeforeAnyWork(params string[] args)
    {
        using var dir = new TempDir("cli");
        await CliRunner.RunAsync(dir.Path, "init");

        var result = await CliRunner.RunAsync(dir.Path, [.. args, "--json"]);

        Assert.Equal(2, result.ExitCode);
        Assert.False(string.IsNullOrEmpty(result.Json.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Help_Crawl_DocumentsOptions()
    {
        var root = await CliRunner.RunAsync("/", "--help");
        var crawl = await CliRunner.RunAsync("/", "crawl", "--help");
        var ingest = await CliRunner.RunAsync("/", "ingest", "--help");

        Assert.Contains("crawl", root.Out);
        foreach (var option in new[] { "--max-pages", "--delay-ms", "--same-host", "--allow", "--allow-private", "--label-selector", "--label-jsonld", "--image-selector", "--listing-pattern", "--refresh" })
            Assert.Contains(option, crawl.Out);
        Assert.Contains("--urls", ingest.Out);
    }
}
