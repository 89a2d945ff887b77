using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Skillmaker.Crowd;
using Skillmaker.Server;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Pages;

/// <summary>Every page, as each role meets it, in a real browser under the server's Content-Security-Policy;
/// the screenshots (TestResults/screenshots/pages) are for looking at a change of the pages.</summary>
public class PageGalleryTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Pages_EveryPageOfEveryRole_RendersWithoutCspViolations()
    {
        var dir = Path.Combine(BrowserFixture.ScreenshotDir, "pages");
        Directory.CreateDirectory(dir);
        await using var ws = await TestWorkspace.CreateAsync();
        var users = new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System);
        var options = new CrowdOptions { GoldEvery = 0 };
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Crowd = options });
        var console = new List<string>();

        async Task<IPage> SignInAsync(string name, UserRole role)
        {
            var (_, token) = await users.AddAsync(name, role, CancellationToken.None);
            var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 860 } });
            var page = await context.NewPageAsync();
            page.Console += (_, m) => console.Add($"{page.Url}: {m.Text}");
            await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
            await page.ClickAsync("#sign-in");
            await page.WaitForLoadStateAsync(LoadState.Load);
            return page;
        }
        async Task ShotAsync(IPage page, string name, int status, IResponse? response = null)
        {
            if (response is not null) Assert.Equal(status, response.Status);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{name}.png"), FullPage = true });
        }

        var stranger = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        stranger.Console += (_, m) => console.Add($"{stranger.Url}: {m.Text}");
        await ShotAsync(stranger, "login", 200, await stranger.GotoAsync($"{server.BaseUrl}/login"));
        await stranger.FillAsync("#token", "smk_not-a-real-token");
        await ShotAsync(stranger, "login-refused", 401, await stranger.RunAndWaitForResponseAsync(() => stranger.ClickAsync("#sign-in"), r => r.Request.Method == "POST"));

        var worker = await SignInAsync("carl", UserRole.Crowd);
        await ShotAsync(worker, "crowd-start", 200, await worker.GotoAsync($"{server.BaseUrl}/crowd"));
        await worker.ClickAsync("#start");
        await ShotAsync(worker, "crowd-no-tasks", 200);
        await ShotAsync(worker, "forbidden", 403, await worker.GotoAsync($"{server.BaseUrl}/review"));
        var expert = await SignInAsync("ana", UserRole.Expert);
        await ShotAsync(expert, "review-no-crops", 200, await expert.GotoAsync($"{server.BaseUrl}/review"));

        await Crops.MakeAsync(ws, classes: 2, perClass: 2);
        await new CrowdService(WorkspaceStorage.CrowdStore(ws.Catalog), ws.Catalog, options, TimeProvider.System, NullLogger<CrowdService>.Instance)
            .EnqueueAllCropsAsync(3, CancellationToken.None);
        await worker.GotoAsync($"{server.BaseUrl}/crowd");
        await worker.ClickAsync("#start");
        await ShotAsync(worker, "crowd-task", 200);
        // Past the browser's own check of the required answers: the server says what is missing.
        var refused = await worker.RunAndWaitForResponseAsync(
            () => worker.EvalOnSelectorAsync("#answer", "f => { f.querySelectorAll('[required]').forEach(e => e.removeAttribute('required')); HTMLFormElement.prototype.submit.call(f); }"),
            r => r.Request.Method == "POST");
        await ShotAsync(worker, "crowd-answer-refused", 400, refused);

        await ShotAsync(expert, "review-grid", 200, await expert.GotoAsync($"{server.BaseUrl}/review"));
        await expert.Locator("input[name=crop]").First.CheckAsync();
        await expert.ClickAsync("#reject");
        await expert.Locator("#note").WaitForAsync();
        await ShotAsync(expert, "review-decided-in-place", 200);
        await ShotAsync(expert, "review-decided", 200, await expert.GotoAsync($"{server.BaseUrl}/review?page=1&decided=true"));
        await expert.ClickAsync("#confirm");
        await expert.Locator("#status .error").WaitForAsync();
        await ShotAsync(expert, "review-nothing-selected", 200);

        var admin = await SignInAsync("boss", UserRole.Admin);
        await ShotAsync(admin, "admin", 200, await admin.GotoAsync($"{server.BaseUrl}/admin"));
        await ShotAsync(admin, "admin-instructions", 200, await admin.GotoAsync($"{server.BaseUrl}/admin/instructions"));

        // Chromium reports each blocked inline script or style on the console.
        Assert.DoesNotContain(console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }
}
