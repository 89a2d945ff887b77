using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Server;
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

    [Fact]
    public async Task ReviewPage_ExpertBulkConfirmsAndRelabelsOne_CatalogHasExpertLabelsAndUndoRestores()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 2, perClass: 3);
        var group = crops.Select(c => c.Label).Order(StringComparer.Ordinal).First();
        var other = crops.Select(c => c.Label).First(l => l != group);
        var inGroup = crops.Where(c => c.Label == group).ToList();
        var (_, token) = await new UserService(WorkspaceStorage.UserStore(ws.Catalog), TimeProvider.System).AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Boxes = new Crops.Boxes(crops) });
        await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1366, Height = 900 } });
        var page = await SignInAsync(context, server, token);

        Assert.EndsWith("/review", page.Url);
        Assert.Equal(3, await page.Locator(".cell").CountAsync());
        Assert.Equal(3, await page.Locator("img.parent").CountAsync());
        // Every crop and thumbnail loads (polled: lazy images arrive a little after the page).
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.cell img')].every(i => i.complete && i.naturalWidth > 0)", null, new() { Timeout = 15000 });
        // The parent thumbnail has the crop's box drawn where the crop was cut.
        var thumb = await context.APIRequest.GetAsync($"{server.BaseUrl}/img/parent/{inGroup[0].CropId}/thumb");
        Assert.Equal(200, thumb.Status);
        using (var bitmap = SkiaSharp.SKBitmap.Decode(await thumb.BodyAsync()))
        {
            var box = inGroup[0].Box;
            var edge = bitmap.GetPixel((int)Math.Round((double)box.X * bitmap.Width / box.ParentWidth), (int)((box.Y + box.Height / 2.0) * bitmap.Height / box.ParentHeight));
            Assert.True(edge.Red > 200 && edge.Green is > 120 and < 200 && edge.Blue < 90, $"box edge pixel is {edge}");
        }
        await page.ClickAsync("#select-all");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "review-grid.png"), FullPage = true });
        await page.ClickAsync("#select-none");

        // Relabel one crop with a typed label, then confirm the rest of the page at once.
        var relabelled = inGroup[1].CropId;
        await page.CheckAsync($"input[name=crop][value='{relabelled}']");
        await page.FillAsync("#label", other);
        await page.ClickAsync("#relabel");
        await page.Locator("#note").WaitForAsync();
        Assert.Contains($"1 crop labelled {other}", await page.InnerTextAsync("#note"));
        Assert.Equal(2, await page.Locator(".cell").CountAsync());
        await page.ClickAsync("#select-all");
        await page.ClickAsync("#confirm");
        await page.Locator("#note").WaitForAsync();
        Assert.Contains($"2 crops labelled {group}", await page.InnerTextAsync("#note"));
        Assert.Equal(1, await page.Locator("#empty").CountAsync());

        foreach (var crop in inGroup)
        {
            var details = (await ws.Catalog.GetImageAsync(crop.CropId, CancellationToken.None))!;
            var label = Assert.Single(details.Labels, l => l.Status == LabelStatus.Confirmed);
            Assert.Equal((crop.CropId == relabelled ? other : group, Provenance.Expert, "ana"), (label.Label, label.Provenance, label.Actor));
        }
        var candidates = (await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, CancellationToken.None)).ToDictionary(c => c.ImageId);
        Assert.All(inGroup, c => Assert.Equal(c.CropId == relabelled ? other : group, candidates[c.CropId].ConfirmedLabel));

        // Undo the bulk confirm: those decisions stop counting, the history stays.
        await page.Locator("#recent button").First.ClickAsync();
        await page.Locator("#note").WaitForAsync();
        Assert.Contains("Undone: 2 decisions", await page.InnerTextAsync("#note"));
        candidates = (await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, CancellationToken.None)).ToDictionary(c => c.ImageId);
        Assert.All(inGroup, c => Assert.Equal(c.CropId == relabelled ? other : null, candidates[c.CropId].ConfirmedLabel));
        Assert.Single((await ws.Catalog.GetImageAsync(inGroup[0].CropId, CancellationToken.None))!.Labels, l => l.Status == LabelStatus.Confirmed);
        Assert.Equal(2, await page.Locator(".cell").CountAsync());
        Assert.Equal(403, (await page.GotoAsync($"{server.BaseUrl}/admin"))!.Status);
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
