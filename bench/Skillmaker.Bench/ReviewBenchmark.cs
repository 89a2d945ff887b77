using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Skillmaker.Host;
using Skillmaker.Server;
using Skillmaker.Testing;
using Skillmaker.Users;

namespace Skillmaker.Bench;

/// <summary>An expert decides 200 crops (8 classes of 25, 10% of them wrongly hinted) on the review page in
/// real Chromium, driven by Playwright, in two ways on the same server and page:
/// <list type="bullet">
/// <item><b>before</b>: the flow of the old page, action for action: for each wrong crop click its tile, type
/// the class, click Relabel and wait for the page to load again (the old page reloaded and reflowed after
/// every action); then Select all → Confirm, and the page loads again.</item>
/// <item><b>after</b>: the keyboard flow: arrows to each wrong crop, Space, R, the class's first letters in
/// the list, Enter (the tile fades in place); then A, C and N for the next crops.</item>
/// </list>
/// Reports clicks, key presses, page loads and wall seconds (machine time: Playwright drives at machine
/// speed), plus an estimate of a person's time with the keystroke-level model (click with pointing 1.3 s,
/// key 0.28 s, page load as measured, plus 1.35 s of thought per wrong crop in both flows).</summary>
internal static class ReviewBenchmark
{
    private const int Classes = 8, PerClass = 25;
    private const double WrongShare = 0.10;

    private sealed record Tally(string Flow, int Clicks, int Keys, int Loads, double Seconds, int Correct, int Total, double LoadSeconds)
    {
        public double Human => Clicks * 1.3 + Keys * 0.28 + LoadSeconds + Wrong * 1.35;
        public int Wrong { get; init; }
    }

    public static async Task<int> RunAsync(string[] _)
    {
        if (!File.Exists("/usr/bin/chromium")) throw new InvalidOperationException("The review benchmark needs Debian's chromium at /usr/bin/chromium.");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
        var results = new List<Tally>();
        foreach (var flow in new[] { "before", "after" })
        {
            await using var temp = await BenchSupport.NewWorkspaceAsync("review", 20);
            try
            {
                results.Add(await RunFlowAsync(temp.Line, browser, flow));
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"{flow} failed: {ex}");
                throw;
            }
        }
        Console.WriteLine($"Review of {Classes * PerClass} crops, {WrongShare:P0} wrongly hinted, 1920x1080, real Chromium:");
        Console.WriteLine($"{"flow",-8} {"clicks",7} {"keys",6} {"loads",6} {"wall s",8} {"human s (KLM)",14} {"correct",9}");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Flow,-8} {r.Clicks,7} {r.Keys,6} {r.Loads,6} {r.Seconds,8:0.0} {r.Human,14:0} {r.Correct,5}/{r.Total}"));
        return results.All(r => r.Correct == r.Total) ? 0 : 1;
    }

    private static async Task<Tally> RunFlowAsync(LineServices line, IBrowser browser, string flow)
    {
        var crops = await DetectedCrops.MakeAsync(line, Classes, PerClass);
        var classes = crops.Select(c => c.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        // The same crops are wrong in both flows: their true class is the next one.
        var random = new Random(20);
        var truth = crops.ToDictionary(c => c.CropId, c => c.Label);
        foreach (var c in crops.OrderBy(_ => random.Next()).Take((int)(crops.Count * WrongShare)))
            truth[c.CropId] = classes[(classes.IndexOf(c.Label) + 1) % classes.Count];
        var (_, token) = await line.Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0", LogLevel = LogLevel.Warning }, CancellationToken.None);
        var url = app.Addresses().Single().TrimEnd('/');
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        context.SetDefaultTimeout(20000);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{url}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.WaitForLoadStateAsync(LoadState.Load);

        int clicks = 0, keys = 0, loads = 0;
        var loadTime = TimeSpan.Zero;
        // A page load counts until the load event (the visible crops are loaded).
        async Task LoadAsync(Func<Task> action)
        {
            var watch = Stopwatch.StartNew();
            await action();
            await page.WaitForLoadStateAsync(LoadState.Load);
            loadTime += watch.Elapsed;
            loads++;
        }
        async Task<List<string>> OpenCellsAsync() =>
            [.. await page.Locator("#grid .cell:not(.done)").EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.crop)")];

        var total = Stopwatch.StartNew();
        foreach (var group in classes)
        {
            clicks++;
            await LoadAsync(() => page.GotoAsync($"{url}/review?group={Uri.EscapeDataString(group)}"));
            Console.Error.WriteLine($"{flow}: {group} ({total.Elapsed.TotalSeconds:0} s)");
            while (await page.Locator("#grid .cell").CountAsync() > 0)
            {
                var ids = await OpenCellsAsync();
                var wrong = ids.Where(id => truth[id] != group).ToList();
                if (flow == "before")
                {
                    foreach (var id in wrong)
                    {
                        // The old page reloaded after each action, so the tile is found again on a fresh page.
                        await page.Locator($".cell[data-crop='{id}']").ClickAsync();
                        clicks++;
                        await page.SelectOptionAsync("#label", truth[id]);
                        keys += truth[id].Length; // typed into the old text box
                        clicks++;
                        await page.ClickAsync("#relabel");
                        await page.Locator("#status #note").WaitForAsync();
                        await LoadAsync(() => page.ReloadAsync());
                    }
                    clicks += 2;
                    await page.ClickAsync("#select-all");
                    await page.ClickAsync("#confirm");
                    await page.Locator("#status #note").WaitForAsync();
                    await LoadAsync(() => page.ReloadAsync());
                }
                else
                {
                    var columns = await page.EvalOnSelectorAsync<int>("#grid", "g => getComputedStyle(g).gridTemplateColumns.split(' ').length");
                    await page.FocusAsync("#grid .cell input");
                    clicks++;
                    var at = 0;
                    foreach (var id in wrong)
                    {
                        var to = ids.IndexOf(id);
                        // The arrow presses from the last tile to this one are counted; the focus is set directly
                        // (the arrows themselves are covered by the page tests).
                        keys += (to / columns) - (at / columns) + Math.Abs(to % columns - at % columns);
                        await page.FocusAsync($".cell[data-crop='{id}'] input");
                        at = to;
                        await page.Keyboard.PressAsync("Space");
                        await page.Keyboard.PressAsync("r");
                        // In the list, typing the first letters picks the class: counted as the letters needed to tell it apart.
                        await page.SelectOptionAsync("#label", truth[id]);
                        keys += 2 + LettersToPick(truth[id], classes);
                        await page.Keyboard.PressAsync("Enter");
                        keys++;
                        await page.Locator($".cell.done[data-crop='{id}']").WaitForAsync();
                    }
                    await page.Keyboard.PressAsync("a");
                    await page.Keyboard.PressAsync("c");
                    keys += 2;
                    await page.Locator("#grid .cell:not(.done)").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });
                    keys++;
                    // N: review.js goes to the link's address; the same navigation, driven directly.
                    var next = await page.GetAttributeAsync("#next", "href");
                    await LoadAsync(() => page.GotoAsync(url + next));
                }
            }
        }
        total.Stop();
        var candidates = (await line.DatasetStore.GetCandidatesAsync(Catalog.ImageKind.Crop, CancellationToken.None)).ToDictionary(c => c.ImageId);
        var correct = crops.Count(c => candidates[c.CropId].ConfirmedLabel == truth[c.CropId]);
        return new Tally(flow, clicks, keys, loads, total.Elapsed.TotalSeconds, correct, crops.Count, loadTime.TotalSeconds) { Wrong = truth.Count(t => t.Value != crops.First(c => c.CropId == t.Key).Label) };
    }

    /// <summary>How many first letters tell <paramref name="label"/> apart from the classes before it in the list.</summary>
    private static int LettersToPick(string label, IReadOnlyList<string> classes)
    {
        for (var n = 1; n <= label.Length; n++)
            if (classes.First(c => c.StartsWith(label[..n], StringComparison.Ordinal)) == label) return n;
        return label.Length;
    }
}
