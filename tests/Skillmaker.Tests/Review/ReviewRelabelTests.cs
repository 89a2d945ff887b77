using Skillmaker.Catalog;
using Skillmaker.Datasets;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Review;

/// <summary>Issue 20: relabel picks from the classes of the dataset definitions first (a new class still
/// needs its box ticked), in real Chromium against a real server.</summary>
public class ReviewRelabelTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ReviewGrid_RelabelList_OffersTheDefinitionsClassesFirstThenTheOtherLabels()
    {
        var ct = CancellationToken.None;
        await using var ws = await TestWorkspace.CreateAsync();
        var line = ws.Line();
        var crops = await DetectedCrops.MakeAsync(line, classes: 3, perClass: 2, cancellationToken: ct);
        var labels = crops.Select(c => c.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, labels.Count);
        // The dataset knows two of the three labels: one under a class of another name, one as itself.
        var (renamed, same, other) = (labels[2], labels[0], labels[1]);
        await line.Datasets().ExtractAsync(new DatasetDefinition
        {
            Name = "makes", ImageKind = ImageKind.Original, AllowLabelHints = true, TestFraction = 0,
            Classes = [new() { Name = "first-make", Labels = [renamed] }, new() { Name = same, Labels = [same] }],
            Balance = new BalancePolicy { MinPerClass = 1 },
        }, null, ct);
        var (_, token) = await line.Users().AddAsync("ana", UserRole.Expert, ct);
        await using var server = await RunningServer.StartAsync(ws);
        await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1366, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
        // The session cookie is set by the POST's answer; the page it leads to is not this test's business.
        var signedIn = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#sign-in"), r => r.Request.Method == "POST");
        Assert.True(signedIn.Ok || signedIn.Status == 302 || signedIn.Status == 303, $"sign-in answered {signedIn.Status}");
        await page.GotoAsync($"{server.BaseUrl}/review?group={Uri.EscapeDataString(other)}");

        // The definition's classes come first, in their own group, each saying where it counts when named otherwise.
        var options = await page.Locator("#label option").EvaluateAllAsync<string[]>("os => os.map(o => o.value).filter(v => v)");
        Assert.Equal([same, renamed, other], options);
        Assert.Equal("Classes of the datasets", await page.GetAttributeAsync("#defined-classes", "label"));
        Assert.Equal([same, renamed], await page.Locator("#defined-classes option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)"));
        Assert.Equal([same, $"{renamed} (makes: first-make)"], await page.Locator("#defined-classes option").AllInnerTextsAsync());
        Assert.Equal([other], await page.Locator("#other-labels option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)"));
        await ReviewPageTests.AssertAccessibleAsync(page);

        // R, the class of the definition, Enter: recorded with no new-class confirmation.
        var crop = crops.First(c => c.Label == other).CropId;
        await page.FocusAsync($"#grid .cell[data-crop='{crop}'] input");
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("r");
        await page.SelectOptionAsync("#label", renamed);
        await page.Keyboard.PressAsync("Enter");
        await page.Locator($"#status #note:has-text('1 crop labelled {renamed}')").WaitForAsync();
        var candidates = await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, ct);
        Assert.Equal(renamed, candidates.Single(c => c.ImageId == crop).ConfirmedLabel);

        // A class in neither the definitions nor the catalog is still refused until "new class" is ticked.
        var next = crops.Last(c => c.Label == other).CropId;
        await page.Locator($"#grid .cell[data-crop='{next}']").ClickAsync();
        await page.ClickAsync(".new-class summary");
        await page.FillAsync("#new-label", "first_mak");
        await page.ClickAsync("#relabel");
        await page.Locator("#status .error:has-text('not a known class')").WaitForAsync();
        Assert.Null((await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, ct)).Single(c => c.ImageId == next).ConfirmedLabel);
    }
}
