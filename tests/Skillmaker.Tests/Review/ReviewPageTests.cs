using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Review;

public class ReviewPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static async Task<IPage> SignInAsync(IBrowserContext context, RunningServer server, string token)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.WaitForLoadStateAsync(LoadState.Load);
        return page;
    }

    /// <summary>Issue 20: a grid for a full day's work. At 1920x1080: 8 or more columns, crops never blown up
    /// (a 60x80 crop is 60x80 on screen, its size shown, flagged small), the parent photo with its box from the
    /// detection store (what <c>serve</c> uses) beside the grid on hover; keyboard, Space and Shift+click
    /// ranges; C confirms and the decided tiles fade where they are (nothing moves); Undo sits in the
    /// toolbar; R relabels from the classes and a new class needs its box ticked; filters by size,
    /// confidence and source; N loads the next crops. axe finds no WCAG A/AA violation.</summary>
    [Fact]
    public async Task ReviewGrid_KeyboardRangesConfirmUndoRelabelFilters_DecidedTilesFadeInPlace()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var line = ws.Line();
        // Every third crop is a 60x80 background sliver with a low detector score.
        var crops = await DetectedCrops.MakeAsync(line, classes: 2, perClass: 10, source: "cars",
            cut: i => i % 3 == 0 ? new CropCut(60, 80, 0.4f) : new CropCut(Score: 0.92f));
        var group = crops.Select(c => c.Label).Order(StringComparer.Ordinal).First();
        var other = crops.Select(c => c.Label).First(l => l != group);
        var (_, token) = await line.Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        var page = await SignInAsync(context, server, token);
        var console = new List<string>();
        page.Console += (_, m) => console.Add(m.Text);
        await page.GotoAsync($"{server.BaseUrl}/review?group={Uri.EscapeDataString(group)}");
        var cells = page.Locator("#grid .cell");
        Assert.Equal(10, await cells.CountAsync());
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.cell img.crop')].every(i => i.complete && i.naturalWidth > 0)", null, new() { Timeout = 15000 });
        Assert.True(await page.EvalOnSelectorAsync<int>("#grid", "g => getComputedStyle(g).gridTemplateColumns.split(' ').length") >= 8);

        // Real size: the small crop is shown at its own pixels, says so, and is flagged.
        var small = crops.First(c => c.Label == group && c.Box.Width == 60);
        var smallCell = page.Locator($".cell[data-crop='{small.CropId}']");
        var shown = (await smallCell.Locator("img.crop").BoundingBoxAsync())!;
        Assert.Equal((60, 80), ((int)Math.Round(shown.Width), (int)Math.Round(shown.Height)));
        Assert.Contains("60×80 px", await smallCell.InnerTextAsync());
        Assert.Equal(1, await smallCell.Locator(".badge.small").CountAsync());
        Assert.Equal(crops.Count(c => c.Label == group && c.Box.Width == 60), await page.Locator(".cell .badge.small").CountAsync());

        // Hover: the parent photo with its box (from the detection store), beside the grid, covering no tile.
        await smallCell.HoverAsync();
        var parent = smallCell.Locator("span.parent");
        await parent.Locator("img").WaitForAsync();
        await page.WaitForFunctionAsync($"() => {{ const i = document.querySelector(\".cell[data-crop='{small.CropId}'] img.parent\"); return i.complete && i.naturalWidth > 0; }}", null, new() { Timeout = 15000 });
        var aside = (await parent.BoundingBoxAsync())!;
        var grid = (await page.Locator("#grid").BoundingBoxAsync())!;
        Assert.True(aside.X >= grid.X + grid.Width, $"the photo at x={aside.X} covers the grid ending at {grid.X + grid.Width}");
        Assert.Contains($"box at {small.Box.X},{small.Box.Y}", await parent.InnerTextAsync());
        await AssertAccessibleAsync(page);

        // Keyboard and ranges: focus the first tile, two steps right, Space; Shift+click the sixth.
        var ids = await cells.EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.crop)");
        await page.FocusAsync("#grid .cell input");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("Space");
        await cells.Nth(5).ClickAsync(new() { Modifiers = [KeyboardModifier.Shift] });
        Assert.Equal(ids[2..6], await page.Locator("#grid input[name=crop]:checked").EvaluateAllAsync<string[]>("bs => bs.map(b => b.value)"));

        // C: recorded, and the four tiles fade where they are; nothing else moves.
        var before = await cells.Nth(7).BoundingBoxAsync();
        await page.Keyboard.PressAsync("c");
        await page.Locator("#status #note").WaitForAsync();
        Assert.Contains($"4 crops labelled {group}", await page.InnerTextAsync("#status"));
        Assert.Equal(10, await cells.CountAsync());
        Assert.Equal(4, await page.Locator("#grid .cell.done").CountAsync());
        Assert.Equal(before!.Y, (await cells.Nth(7).BoundingBoxAsync())!.Y);
        Assert.Equal(4, await ConfirmedAsync(ws, ids[2..6], group));
        // A decided tile cannot be selected again by accident.
        await cells.Nth(3).ClickAsync();
        Assert.False(await cells.Nth(3).Locator("input").IsCheckedAsync());

        // Undo is in the (sticky) toolbar, beside the action, even far down the page.
        await page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
        var undo = page.Locator("#undo-last");
        Assert.True(await undo.IsVisibleAsync());
        Assert.Equal(1, await page.Locator(".toolbar #undo-last").CountAsync());
        Assert.InRange((await undo.BoundingBoxAsync())!.Y, 0, 1040);
        await page.Keyboard.PressAsync("u");
        await page.Locator("#status #note:has-text('Undone: 4 decisions')").WaitForAsync();
        Assert.Equal(0, await page.Locator("#grid .cell.done").CountAsync());
        Assert.Equal(0, await ConfirmedAsync(ws, ids[2..6], group));

        // R relabels from the classes; a class not in the list is refused until "new class" is ticked.
        await page.FocusAsync($"#grid .cell[data-crop='{ids[0]}'] input");
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("r");
        Assert.Equal("label", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.SelectOptionAsync("#label", other);
        await page.Keyboard.PressAsync("Enter");
        await page.Locator($"#status #note:has-text('1 crop labelled {other}')").WaitForAsync();
        Assert.Equal(1, await ConfirmedAsync(ws, [ids[0]], other));
        await page.Locator($"#grid .cell[data-crop='{ids[1]}']").ClickAsync();
        await page.ClickAsync(".new-class summary");
        await page.FillAsync("#new-label", "tow_truk");
        await page.ClickAsync("#relabel");
        await page.Locator("#status .error:has-text('not a known class')").WaitForAsync();
        Assert.Equal(0, await ConfirmedAsync(ws, [ids[1]], "tow_truk"));
        await page.CheckAsync("#new-class");
        await page.ClickAsync("#relabel");
        await page.Locator("#status #note:has-text('labelled tow_truk')").WaitForAsync();

        // N: the next crops (the decided ones are gone).
        await page.RunAndWaitForResponseAsync(() => page.Keyboard.PressAsync("n"), r => r.Request.IsNavigationRequest && r.Url.Contains("/review?", StringComparison.Ordinal));
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        await page.Locator("#grid").WaitForAsync();
        Assert.Equal(8, await cells.CountAsync());
        await page.ClickAsync("#select-all");
        Assert.Equal(8, await page.Locator("#grid input[name=crop]:checked").CountAsync());
        await page.ClickAsync("#select-none");
        Assert.Equal(0, await page.Locator("#grid input[name=crop]:checked").CountAsync());

        // Filters: by size, by detector confidence, by source; each keeps the group.
        await page.GotoAsync($"{server.BaseUrl}/review?group={Uri.EscapeDataString(group)}&size=small");
        Assert.All(await cells.EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.crop)"), id => Assert.Equal(60, crops.Single(c => c.CropId == id).Box.Width));
        await page.SelectOptionAsync("#f-conf", "80");
        await page.SelectOptionAsync("#f-size", "");
        await page.ClickAsync("#apply-filters");
        await page.Locator("#grid").WaitForAsync();
        Assert.All(await cells.EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.crop)"), id => Assert.True(crops.Single(c => c.CropId == id).Score >= 0.8f));
        Assert.Equal(0, await page.Locator(".cell .badge.small").CountAsync());
        Assert.Equal(["cars"], (await page.Locator("#f-source option").AllInnerTextsAsync()).Skip(1));
        Assert.Equal(400, (await page.GotoAsync($"{server.BaseUrl}/review?size=huge"))!.Status);
        Assert.DoesNotContain(console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    /// <summary>With JavaScript off the basics still work: select, confirm (the page reloads with the note and
    /// Undo beside it), undo, relabel from the list; the CSRF token travels in every form.</summary>
    [Fact]
    public async Task ReviewGrid_JavaScriptOff_ConfirmUndoAndRelabelStillWork()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var line = ws.Line();
        var crops = await DetectedCrops.MakeAsync(line, classes: 2, perClass: 2);
        var group = crops.Select(c => c.Label).Order(StringComparer.Ordinal).First();
        var other = crops.Select(c => c.Label).First(l => l != group);
        var inGroup = crops.Where(c => c.Label == group).Select(c => c.CropId).ToList();
        var (_, token) = await line.Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync(new() { JavaScriptEnabled = false, ViewportSize = new() { Width = 1366, Height = 768 } });
        var page = await SignInAsync(context, server, token);
        await page.GotoAsync($"{server.BaseUrl}/review?group={Uri.EscapeDataString(group)}");

        await page.CheckAsync($"input[name=crop][value='{inGroup[0]}']");
        await page.ClickAsync("#confirm");
        Assert.Contains($"1 crop labelled {group}", await page.InnerTextAsync("#note"));
        Assert.Equal(1, await ConfirmedAsync(ws, [inGroup[0]], group));
        Assert.True(await page.IsVisibleAsync("#undo-last"));
        await page.ClickAsync("#undo-last");
        Assert.Contains("Undone: 1 decision", await page.InnerTextAsync("#note"));
        Assert.Equal(0, await ConfirmedAsync(ws, [inGroup[0]], group));
        Assert.False(await page.IsVisibleAsync("#undo-last"));

        await page.CheckAsync($"input[name=crop][value='{inGroup[1]}']");
        await page.SelectOptionAsync("#label", other);
        await page.ClickAsync("#relabel");
        Assert.Contains($"1 crop labelled {other}", await page.InnerTextAsync("#note"));
        Assert.Equal(1, await ConfirmedAsync(ws, [inGroup[1]], other));
    }

    private static async Task<int> ConfirmedAsync(TestWorkspace ws, IEnumerable<string> cropIds, string label)
    {
        var candidates = (await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, CancellationToken.None)).ToDictionary(c => c.ImageId);
        return cropIds.Count(id => candidates[id].ConfirmedLabel == label);
    }

    /// <summary>No WCAG 2.1 A/AA violation.</summary>
    internal static async Task AssertAccessibleAsync(IPage page)
    {
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
        Assert.True(result.Violations.Length == 0,
            $"{page.Url}: " + string.Join("\n", result.Violations.Select(v => $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}")));
    }

    [Fact]
    public async Task ReviewPage_CrowdTokenAndStrangers_AreKeptOutAndImagesNeedASignature()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var (_, token) = await new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System).AddAsync("carl", UserRole.Crowd, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync();
        var page = await SignInAsync(context, server, token);
        Assert.EndsWith("/crowd", page.Url.TrimEnd('/'));

        // An unknown token is refused with a clear message.
        await using (var strangerContext = await browser.Browser.NewContextAsync())
        {
            var stranger = await strangerContext.NewPageAsync();
            await stranger.GotoAsync($"{server.BaseUrl}/login?token=smk_not-a-real-token");
            var login = await stranger.RunAndWaitForResponseAsync(() => stranger.ClickAsync("#sign-in"), r => r.Request.Method == "POST");
            Assert.Equal(401, login.Status);
            Assert.Contains("unknown or no longer valid", await stranger.InnerTextAsync(".error"));
        }

        var review = await page.GotoAsync($"{server.BaseUrl}/review");
        Assert.Equal(403, review!.Status);
        Assert.Contains("Not allowed", await page.InnerTextAsync("h1"));
        Assert.Equal(403, (await page.GotoAsync($"{server.BaseUrl}/admin"))!.Status);
        Assert.Equal(403, (await context.APIRequest.GetAsync($"{server.BaseUrl}/img/parent/{crops[0].CropId}/thumb")).Status);

        // No session, no signature: nothing.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/review")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"/img/parent/{crops[0].CropId}/thumb")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/img/crop/{crops[0].CropId}")).StatusCode);

        var links = server.Services.GetRequiredService<SignedImageLinks>();
        var good = await http.GetAsync(links.PathFor(crops[0].CropId, TimeSpan.FromMinutes(5)));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal("image/jpeg", good.Content.Headers.ContentType!.MediaType);
        Assert.Equal(crops[0].CropId, Sha256Hex.Of(await good.Content.ReadAsByteArrayAsync()));
        var tampered = links.PathFor(crops[0].CropId, TimeSpan.FromMinutes(5)).Replace("exp=", "exp=9", StringComparison.Ordinal);
        var refused = await http.GetAsync(tampered);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("not valid", await refused.Content.ReadAsStringAsync());
        // Even a correctly signed link never serves the parent photo.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(links.PathFor(crops[0].ParentId, TimeSpan.FromMinutes(5)))).StatusCode);

        // A form post without the CSRF token is refused, even with a valid session.
        var forged = await context.APIRequest.PostAsync($"{server.BaseUrl}/crowd/answer", new() { Form = context.APIRequest.CreateFormData().Set("task", "1").Set("content", "exterior").Set("quality", "good") });
        Assert.Equal(400, forged.Status);
        Assert.Empty(await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None));

        // Revoking the user ends their session at the next request.
        await new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System).RevokeAsync("carl", CancellationToken.None);
        await page.GotoAsync($"{server.BaseUrl}/crowd");
        Assert.EndsWith("/login", page.Url);
    }

    [Fact]
    public async Task ReviewPage_LabelWithScriptTag_RendersEncoded()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        const string hostile = "<script>alert('x')</script>";
        await Crops.MakeAsync(ws, classes: 1, perClass: 1, labelOf: _ => hostile);
        var (_, token) = await new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System).AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync();
        var page = await SignInAsync(context, server, token);
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        var response = (await page.GotoAsync($"{server.BaseUrl}/review"))!;
        var html = await response.TextAsync();
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", html, StringComparison.Ordinal);
        // The browser shows the label as text, in the group list, the confirm button and the form, and runs no script of it.
        Assert.Equal($"{hostile} 1/1", await page.InnerTextAsync(".groups a"));
        Assert.Contains(hostile, await page.InnerTextAsync("#confirm"));
        Assert.Equal(hostile, await page.InputValueAsync("input[name=group]"));
        Assert.Equal(["/assets/review.js"], await page.EvalOnSelectorAllAsync<string[]>("script", "s => s.map(e => e.getAttribute('src'))"));
        Assert.Equal(0, dialogs);
    }
}
