using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Skillmaker.Crowd;
using Skillmaker.Server;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Crowd;

public class CrowdPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>Issue 20: shortcuts used characters, so an AZERTY keyboard (where the key in the A place
    /// types "q" and the digit row types "&amp;é\"…") could not answer; every page asked for a favicon and got 404.</summary>
    [Fact]
    public async Task CrowdPage_AzertyKeysByPlace_AnswerAndNoPageRequestFails()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var options = new CrowdOptions { GoldEvery = 0 };
        var crowd = new CrowdService(WorkspaceStorage.CrowdStore(ws.Catalog), ws.Catalog, options, TimeProvider.System, NullLogger<CrowdService>.Instance);
        await crowd.EnqueueAllCropsAsync(3, CancellationToken.None);
        var users = new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Crowd = options });
        var (_, token) = await users.AddAsync("aline", UserRole.Crowd, CancellationToken.None);
        await using var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var failed = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) failed.Add($"{r.Status} {r.Url}"); };
        await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.ClickAsync("#start");
        await page.Locator("#answer").WaitForAsync();

        // What an AZERTY keyboard sends for the keys in the places of 2 and A.
        await page.EvaluateAsync("""
            () => {
              for (const [key, code] of [['é', 'Digit2'], ['q', 'KeyA']])
                document.body.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
            }
            """);
        Assert.True(await page.IsCheckedAsync("input[name=content][value='exterior']"));
        Assert.True(await page.IsCheckedAsync("input[name=quality][value='good']"));
        Assert.Equal(200, (await page.APIRequest.GetAsync($"{server.BaseUrl}/favicon.ico")).Status);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Empty(failed);
    }

    [Fact]
    public async Task CrowdPage_ThreeWorkersAnswerInTheBrowser_ConsolidatedResultIsRight()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 2, perClass: 2);
        var options = new CrowdOptions { GoldEvery = 0 };
        var crowd = new CrowdService(WorkspaceStorage.CrowdStore(ws.Catalog), ws.Catalog, options, TimeProvider.System, NullLogger<CrowdService>.Instance);
        Assert.Equal(4, await crowd.EnqueueAllCropsAsync(3, CancellationToken.None));
        var truth = new Dictionary<string, (string Content, string Quality)>
        {
            [crops[0].CropId] = ("exterior", "good"),
            [crops[1].CropId] = ("close-up", "blurry"),
            [crops[2].CropId] = ("wheel", "good"),
            [crops[3].CropId] = ("close-up-text", "low-resolution"),
        };
        var imageOfTask = (await WorkspaceStorage.CrowdStore(ws.Catalog).GetTasksAsync(null, false, CancellationToken.None)).ToDictionary(t => t.Id, t => t.ImageId);
        var users = new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Crowd = options });

        for (var w = 0; w < 3; w++)
        {
            var (_, token) = await users.AddAsync($"worker{w + 1}", UserRole.Crowd, CancellationToken.None);
            await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 860 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
            await page.ClickAsync("#sign-in");
            await page.ClickAsync("#start");
            await page.Locator("#answer, #no-tasks").First.WaitForAsync();
            var answered = 0;
            while (await page.Locator("#answer").CountAsync() > 0)
            {
                await page.WaitForFunctionAsync("() => { const i = document.querySelector('.crop img'); return i && i.complete && i.naturalWidth > 0; }", null, new() { Timeout = 15000 });
                var taskId = await page.InputValueAsync("input[name=task]");
                var (content, quality) = truth[imageOfTask[long.Parse(taskId)]];
                // Worker 3 disagrees once on each question; the other two outvote them.
                if (w == 2 && imageOfTask[long.Parse(taskId)] == crops[0].CropId) content = "interior";
                if (w == 2 && imageOfTask[long.Parse(taskId)] == crops[2].CropId) quality = "blurry";
                if (w == 0)
                {
                    // Keyboard only: 1-8 for content, A-G for quality, Enter sends.
                    await page.Keyboard.PressAsync(CrowdQuestions.Content.Single(o => o.Value == content).Key.ToString());
                    await page.Keyboard.PressAsync(CrowdQuestions.Quality.Single(o => o.Value == quality).Key.ToString());
                    Assert.True(await page.IsCheckedAsync($"input[name=content][value='{content}']"));
                    if (answered == 0)
                        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "crowd-task.png"), FullPage = true });
                    await page.Keyboard.PressAsync("Enter");
                }
                else
                {
                    await page.CheckAsync($"input[name=content][value='{content}']");
                    await page.CheckAsync($"input[name=quality][value='{quality}']");
                    await page.ClickAsync("#submit");
                }
                await page.Locator($"input[name=task]:not([value='{taskId}']), #no-tasks").First.WaitForAsync(new() { State = WaitForSelectorState.Attached });
                answered++;
            }
            Assert.Equal(4, answered);
            Assert.Contains("answered 4 tasks", await page.InnerTextAsync("#no-tasks"));
        }

        // The admin overview shows each worker's answers.
        var (_, adminToken) = await users.AddAsync("boss", UserRole.Admin, CancellationToken.None);
        await using (var adminContext = await browser.Browser.NewContextAsync())
        {
            var admin = await adminContext.NewPageAsync();
            await admin.GotoAsync($"{server.BaseUrl}/login?token={adminToken}");
            await admin.ClickAsync("#sign-in");
            Assert.Equal(200, (await admin.GotoAsync($"{server.BaseUrl}/admin"))!.Status);
            var rows = await admin.Locator("#workers tbody tr").AllInnerTextsAsync();
            Assert.Equal(["worker1\t4\t0\t–\t–", "worker2\t4\t0\t–\t–", "worker3\t4\t0\t–\t–"], rows);
            Assert.Contains("4 open tasks need 0 more answers", await admin.InnerTextAsync("#queue"));
        }

        var answers = await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None);
        Assert.Equal(12, answers.Count);
        Assert.All(answers, a => Assert.Equal("web", a.Channel));
        Assert.All(answers, a => Assert.True(a.Seconds is >= 0 and < 120));

        var results = await crowd.ConsolidateAsync(ConsolidationMethod.DawidSkene, CancellationToken.None);
        Assert.Equal(4, results.Count);
        foreach (var r in results)
        {
            Assert.Equal(truth[r.ImageId], (r.Content, r.Quality));
            Assert.Equal(CrowdOutcome.Resolved, r.Outcome);
        }
    }
}
