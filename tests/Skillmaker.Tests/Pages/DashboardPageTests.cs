using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using SkiaSharp;
using Skillmaker.Host;
using Skillmaker.Server;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;
using Skillmaker.Users;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Pages;

/// <summary>The dashboard in a real browser over the trained workspace of <see cref="TrainingFixture"/>
/// (photos of 13 car classes, manifests cars13 and makes4, skills car-variants and makes v1..v3).</summary>
[Collection(TrainingCollection.Name)]
public sealed class DashboardPageTests(TrainingFixture fixture) : IAsyncLifetime
{
    private readonly BrowserFixture _browser = new();
    private readonly List<string> _console = [];

    public Task InitializeAsync() => _browser.InitializeAsync();

    public Task DisposeAsync() => _browser.DisposeAsync();

    private static readonly string[] DashboardPages =
        ["/data", "/data?kind=original", "/skills", "/skills/makes/1", "/skills/makes/1/cell?t=0&p=0", "/skills/makes/compare?a=1&b=2", "/datasets", "/datasets/audit"];

    [Fact]
    public async Task Dashboard_ExpertBrowsesFiltersCellsAndCompares_CrowdIsRefusedAndAxeFindsNothing()
    {
        await using var server = await ServeAsync(fixture.Clone());
        var expert = await SignInAsync(server, "ana", UserRole.Expert);
        var crowd = await SignInAsync(server, "carl", UserRole.Crowd);

        // Data, filtered by label and its provenance: every row carries that label.
        var label = TrainingFixture.MakesClasses[1];
        var response = await expert.GotoAsync($"{server.Url}/data?label={label}&provenance=source&kind=original");
        Assert.Equal(200, response!.Status);
        var labels = await expert.Locator("#images tbody td.label span").AllInnerTextsAsync();
        Assert.NotEmpty(labels);
        Assert.All(labels, l => Assert.Equal(label, l));
        await AssertAccessibleAsync(expert);

        // Then by split: the test split of some manifest, then one image's page with its manifests and skill versions.
        await expert.GotoAsync($"{server.Url}/data?split=test");
        var testRows = await expert.Locator("#images tbody tr").CountAsync();
        Assert.InRange(testRows, 1, DashboardEndpoints.PageSize);
        await expert.Locator("#images a.image-link").First.ClickAsync();
        await expert.Locator("#overlay").WaitForAsync();
        Assert.Contains("test", await expert.Locator("#manifests").InnerTextAsync());
        Assert.Matches(@"(makes|car-variants) v\d", await expert.Locator("#used-by").InnerTextAsync());
        await AssertAccessibleAsync(expert);

        // A bad filter value is named on the page, and nothing is listed.
        var bad = await expert.GotoAsync($"{server.Url}/data?minw=wide&from=yesterday");
        Assert.Equal(400, bad!.Status);
        var errors = await expert.Locator("#filter-errors").InnerTextAsync();
        Assert.Contains("Minimum width 'wide'", errors);
        Assert.Contains("Taken from 'yesterday'", errors);
        Assert.Equal(404, (await expert.GotoAsync($"{server.Url}/data/{new string('a', 64)}"))!.Status);
        Assert.Equal(404, (await expert.GotoAsync($"{server.Url}/skills/makes/99"))!.Status);
        Assert.Contains("no version 99", await expert.Locator(".error").InnerTextAsync());

        // The weak version's confusion matrix: an off-diagonal cell opens exactly its images.
        await expert.GotoAsync($"{server.Url}/skills");
        await expert.ClickAsync("a[href='/skills/makes/1']");
        await expert.Locator("#confusion").WaitForAsync();
        await AssertAccessibleAsync(expert);
        var cells = expert.Locator("#confusion a[data-cell]");
        ILocator? offDiagonal = null;
        for (var i = 0; i < await cells.CountAsync(); i++)
        {
            var parts = (await cells.Nth(i).GetAttributeAsync("data-cell"))!.Split('-');
            if (parts[0] != parts[1]) { offDiagonal = cells.Nth(i); break; }
        }
        Assert.NotNull(offDiagonal);
        var count = int.Parse(await offDiagonal.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await offDiagonal.ClickAsync();
        await expert.Locator("#cell-count").WaitForAsync();
        Assert.Equal(count, await expert.Locator("#cell-images li").CountAsync());
        await AssertAccessibleAsync(expert);

        // Two versions side by side: per-class deltas for the 4 classes and the images whose answer changed.
        await expert.GotoAsync($"{server.Url}/skills/makes/compare?a=1&b=2");
        Assert.Equal(4, await expert.Locator("#class-deltas tbody tr").CountAsync());
        Assert.True(await expert.Locator("#changed tbody tr").CountAsync() > 0);
        await AssertAccessibleAsync(expert);

        foreach (var path in new[] { "/datasets", "/datasets/audit" })
        {
            Assert.Equal(200, (await expert.GotoAsync(server.Url + path))!.Status);
            await AssertAccessibleAsync(expert);
        }
        await expert.ClickAsync("a[href='/datasets']");
        await expert.Locator("#datasets-live a[href^='/datasets/manifests/']").First.ClickAsync();
        await expert.Locator("svg.chart").WaitForAsync();
        Assert.Empty(await expert.Locator("#extract").AllAsync());
        await AssertAccessibleAsync(expert);

        // Experts read but do not act; the crowd sees none of it.
        Assert.Equal(403, (await expert.GotoAsync($"{server.Url}/skills/makes/1/promote"))!.Status);
        foreach (var path in DashboardPages)
            Assert.Equal(403, (await crowd.GotoAsync(server.Url + path))!.Status);
        Assert.DoesNotContain(_console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dashboard_AdminExtractsAndPromotes_ExpertPageUpdatesLive()
    {
        var root = fixture.Clone();
        await using var server = await ServeAsync(root);
        var admin = await SignInAsync(server, "boss", UserRole.Admin);
        var expert = await SignInAsync(server, "ana", UserRole.Expert);

        // Extract again from the page: the same definition on the same catalog gives the same manifest.
        await admin.GotoAsync($"{server.Url}/datasets");
        await admin.ClickAsync("#extract-makes4");
        await admin.Locator("#note").WaitForAsync();
        Assert.Contains("Nothing changed", await admin.Locator("#note").InnerTextAsync());
        Assert.Contains("first manifest of makes4", await admin.Locator("#diff").InnerTextAsync());

        // A new photo of one of its classes arrives; extracting again shows it as the one item added.
        var extra = Path.Combine(Path.GetDirectoryName(root)!, "extra", TrainingFixture.MakesClasses[0]);
        Directory.CreateDirectory(extra);
        using (var photo = SKBitmap.Decode(Directory.EnumerateFiles(Path.Combine(TestAssets.Cars, TrainingFixture.MakesClasses[0])).Order(StringComparer.Ordinal).First()))
            await File.WriteAllBytesAsync(Path.Combine(extra, "again.jpg"), TestImages.Encode(photo, SKEncodedImageFormat.Jpeg, 71));
        Assert.Equal(0, (await CliRunner.RunAsync(root, "ingest", Path.GetDirectoryName(extra)!, "--source", "extra", "--labels-from-folders")).ExitCode);
        await admin.ClickAsync("#extract");
        await Assertions.Expect(admin.Locator("#note")).ToContainTextAsync("Extracted manifest");
        Assert.Equal("1 added", await admin.Locator("#added").InnerTextAsync());
        Assert.Equal("0 removed", await admin.Locator("#removed").InnerTextAsync());
        await AssertAccessibleAsync(admin);

        // The expert watches the version page while the admin promotes: the dry run first, then the gate.
        await expert.GotoAsync($"{server.Url}/skills/makes/2");
        Assert.Equal("none", (await expert.Locator("#aliases").InnerTextAsync()).Trim());
        await admin.GotoAsync($"{server.Url}/skills/makes/2");
        await admin.ClickAsync("#promote");
        Assert.Contains("First promotion", await admin.Locator("#dry-run").InnerTextAsync());
        await AssertAccessibleAsync(admin);
        await admin.ClickAsync("#confirm-promote");
        await admin.Locator("#outcome").WaitForAsync(new() { Timeout = 120_000 });
        Assert.StartsWith("PROMOTED", (await admin.Locator("#outcome").InnerTextAsync()).Trim(), StringComparison.Ordinal);
        await AssertAccessibleAsync(admin);

        await Assertions.Expect(expert.Locator("#aliases")).ToHaveTextAsync(new Regex("production"), new() { Timeout = 20_000 });

        // A version that is already production is not a candidate: nothing is run.
        await admin.GotoAsync($"{server.Url}/skills/makes/2/promote");
        Assert.Contains("already production", await admin.Locator("#problem").InnerTextAsync());
        Assert.DoesNotContain(_console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    /// <summary>No WCAG 2.1 A/AA violation; the screenshot (TestResults/screenshots/dashboard) is for looking at a change.</summary>
    private static async Task AssertAccessibleAsync(IPage page)
    {
        var dir = Path.Combine(BrowserFixture.ScreenshotDir, "dashboard");
        Directory.CreateDirectory(dir);
        var name = Regex.Replace(new Uri(page.Url).PathAndQuery.Trim('/'), "[^A-Za-z0-9]+", "-");
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{(name.Length > 60 ? name[..60] : name)}.png"), FullPage = true });
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
        Assert.True(result.Violations.Length == 0,
            $"{page.Url}: " + string.Join("\n", result.Violations.Select(v => $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}")));
    }

    private async Task<IPage> SignInAsync(Served server, string name, UserRole role)
    {
        var (_, token) = await server.Line.Users().AddAsync(name, role, CancellationToken.None);
        var context = await _browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Console += (_, m) => _console.Add($"{page.Url}: {m.Text}");
        await page.GotoAsync($"{server.Url}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.WaitForLoadStateAsync(LoadState.Load);
        return page;
    }

    private static async Task<Served> ServeAsync(string root)
    {
        var workspace = await Workspace.OpenAsync(root, CancellationToken.None);
        var line = await LineServices.OpenAsync(workspace, new LineContext
        {
            Logging = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Environment = Environment.GetEnvironmentVariable,
            AssetSearchStart = [AppContext.BaseDirectory], User = "test",
        }, CancellationToken.None);
        var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0", LogLevel = LogLevel.Warning }, CancellationToken.None);
        return new Served(line, app, app.Addresses().Single().TrimEnd('/'));
    }

    private sealed record Served(LineServices Line, WebApplication App, string Url) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            await Line.DisposeAsync();
        }
    }
}
