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

    /// <summary>Issue 20: on a phone (390x844) the picture stays at the top while the page scrolls and both
    /// questions with Send fit under it; opening the page reserves nothing (an expert who only looks holds no
    /// task for 10 minutes), Start does; the reservation's end is shown in the viewer's zone; axe finds no
    /// WCAG A/AA violation on the start and task pages.</summary>
    [Fact]
    public async Task CrowdPage_Phone_ReservedOnlyOnStartPhotoStickyBothQuestionsVisibleLocalTime()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: 2);
        var options = new CrowdOptions { GoldEvery = 0 };
        var store = WorkspaceStorage.CrowdStore(ws.Catalog);
        await new CrowdService(store, ws.Catalog, options, TimeProvider.System, NullLogger<CrowdService>.Instance).EnqueueAllCropsAsync(3, CancellationToken.None);
        var (_, token) = await new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System).AddAsync("mia", UserRole.Crowd, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Crowd = options });
        await using var context = await browser.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2, TimezoneId = "Asia/Kolkata", Locale = "en-GB",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.Locator("#start").WaitForAsync();
        await page.ReloadAsync();
        Assert.Null(await store.GetHeldAsync("mia", DateTimeOffset.UtcNow, CancellationToken.None));
        await Review.ReviewPageTests.AssertAccessibleAsync(page);

        await page.ClickAsync("#start");
        await page.Locator("#answer").WaitForAsync();
        var held = await store.GetHeldAsync("mia", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(held);
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('.crop img'); return i && i.complete && i.naturalWidth > 0; }", null, new() { Timeout = 15000 });

        // Both questions and Send are on the first screen, under the picture.
        foreach (var selector in new[] { ".crop img", "fieldset:nth-of-type(1)", "fieldset:nth-of-type(2)", "#submit" })
        {
            var box = (await page.Locator(selector).First.BoundingBoxAsync())!;
            Assert.True(box.Y >= 0 && box.Y + box.Height <= 844, $"{selector} spans {box.Y}..{box.Y + box.Height} of an 844 px screen");
        }
        // Scrolled to the end of the instructions, the picture is still at the top.
        await page.ClickAsync("#guide summary");
        await page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
        Assert.True(await page.EvaluateAsync<double>("() => window.scrollY") > 100);
        var photo = (await page.Locator(".crop img").BoundingBoxAsync())!;
        Assert.InRange(photo.Y, 0, 20);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "crowd-phone-scrolled.png") });

        // The reservation's end in the viewer's zone (India, UTC+5:30), not UTC.
        var local = TimeZoneInfo.ConvertTime(held.ExpiresAt, TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"));
        Assert.Equal(local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), await page.InnerTextAsync("#expires"));
        await Review.ReviewPageTests.AssertAccessibleAsync(page);

        // Send answers and take the next task; "Send and stop" answers and holds nothing.
        await page.CheckAsync("input[name=content][value='exterior']");
        await page.CheckAsync("input[name=quality][value='good']");
        await page.ClickAsync("#submit");
        await page.Locator($"input[name=task]:not([value='{held.Task.Id}'])").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.CheckAsync("input[name=content][value='wheel']");
        await page.CheckAsync("input[name=quality][value='blurry']");
        await page.ClickAsync("#send-stop");
        await page.Locator("#start").WaitForAsync();
        Assert.Null(await store.GetHeldAsync("mia", DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal(2, (await store.GetAnswersAsync(CancellationToken.None)).Count);
    }

    /// <summary>Issue 20: instructions with an example per answer, written by admins: a worker reads them on the
    /// start page and under each task; an example that is not a crop is refused and nothing is saved.</summary>
    [Fact]
    public async Task Instructions_AdminWritesTextAndExample_WorkersSeeThemAndABadExampleSavesNothing()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var users = new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System);
        var (_, adminToken) = await users.AddAsync("boss", UserRole.Admin, CancellationToken.None);
        var (_, workerToken) = await users.AddAsync("carl", UserRole.Crowd, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync();
        var admin = await context.NewPageAsync();
        await admin.GotoAsync($"{server.BaseUrl}/login?token={adminToken}");
        await admin.ClickAsync("#sign-in");
        await admin.GotoAsync($"{server.BaseUrl}/admin");
        await admin.ClickAsync("#instructions-link");
        Assert.Equal(CrowdQuestions.Content.Count + CrowdQuestions.Quality.Count, await admin.Locator("#instructions tbody tr").CountAsync());
        await Review.ReviewPageTests.AssertAccessibleAsync(admin);

        await admin.FillAsync("#text-content-wheel", "The wheel or tyre fills the picture; rims count too.");
        await admin.FillAsync("#example-content-wheel", crops[0].CropId);
        await admin.FillAsync("#example-content-interior", "not-a-crop");
        Assert.Equal(400, (await admin.RunAndWaitForResponseAsync(() => admin.ClickAsync("#save"), r => r.Request.Method == "POST")).Status);
        Assert.Contains("content:interior", await admin.InnerTextAsync("#error"));
        Assert.Empty(await WorkspaceStorage.CrowdStore(ws.Catalog).GetInstructionsAsync(CancellationToken.None));

        await admin.FillAsync("#text-content-wheel", "The wheel or tyre fills the picture; rims count too.");
        await admin.FillAsync("#example-content-wheel", crops[0].CropId);
        await admin.FillAsync("#example-content-interior", "");
        await admin.ClickAsync("#save");
        await admin.Locator("#saved").WaitForAsync();
        Assert.Equal(1, await admin.Locator("#instructions img.example").CountAsync());

        await using var workerContext = await browser.Browser.NewContextAsync();
        var worker = await workerContext.NewPageAsync();
        await worker.GotoAsync($"{server.BaseUrl}/login?token={workerToken}");
        await worker.ClickAsync("#sign-in");
        var wheel = worker.Locator("#guide-content-wheel");
        Assert.Contains("rims count too", await wheel.InnerTextAsync());
        await worker.WaitForFunctionAsync("() => { const i = document.querySelector('#guide-content-wheel img'); return i && i.complete && i.naturalWidth > 0; }", null, new() { Timeout = 15000 });
        Assert.Contains("no example yet", await worker.InnerTextAsync("#guide-content-interior"));
        Assert.Contains(CrowdQuestions.DefaultInstruction("content:interior"), await worker.InnerTextAsync("#guide-content-interior"));
        Assert.Equal(403, (await worker.GotoAsync($"{server.BaseUrl}/admin/instructions"))!.Status);
    }
}
