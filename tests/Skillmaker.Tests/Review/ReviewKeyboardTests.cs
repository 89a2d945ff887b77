using Microsoft.Playwright;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Review;

/// <summary>Arrow keys on the review grid in real Chromium: every direction, at the edges, over decided
/// tiles, after focus left the grid, after a zoom change, and Shift+arrows growing and shrinking a range.
/// Expectations come from the grid's column count (rows and columns), not from the script's geometry.</summary>
public class ReviewKeyboardTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const int Tiles = 15;

    [Fact]
    public async Task ReviewGrid_Arrows_MoveByRowsAndColumnsSkippingDecidedTilesAndStayAtEdges()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var line = ws.Line();
        var crops = await DetectedCrops.MakeAsync(line, classes: 1, perClass: Tiles);
        var group = crops[0].Label;
        var (_, token) = await line.Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        // 1100 px wide: 6 columns of medium tiles, so 15 tiles make rows of 6, 6 and 3.
        await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{server.BaseUrl}/login?token={token}");
        await page.ClickAsync("#sign-in");
        await page.WaitForLoadStateAsync(LoadState.Load);
        await page.GotoAsync($"{server.BaseUrl}/review?group={Uri.EscapeDataString(group)}");
        Assert.Equal(Tiles, await page.Locator("#grid .cell").CountAsync());
        var c = await ColumnsAsync(page);
        Assert.InRange(c, 4, 7);
        Assert.NotEqual(0, Tiles % c); // a short last row
        var last = Tiles - 1;
        var lastRow = last / c * c;

        async Task At(int index) => await page.FocusAsync($"#grid .cell:nth-child({index + 1}) input");
        // Every wrong move is listed (the next press goes on from the expected tile), so one run shows them all.
        var wrong = new List<string>();
        async Task Press(string key, int expected)
        {
            var from = await FocusedAsync(page);
            await page.Keyboard.PressAsync(key);
            var got = await FocusedAsync(page);
            if (got == expected) return;
            wrong.Add($"{key} from tile {from}: tile {got}, expected {expected}");
            await At(expected);
        }
        async Task Selected(string after, params int[] expected)
        {
            var got = await CheckedAsync(page);
            if (!got.SequenceEqual(expected)) wrong.Add($"after {after}: selected [{string.Join(", ", got)}], expected [{string.Join(", ", expected)}]");
        }

        // Up on the first row and Left on the first tile stay; Down walks the column; Down on the last row stays.
        await At(2);
        await Press("ArrowUp", 2);
        await Press("ArrowLeft", 1);
        await Press("ArrowLeft", 0);
        await Press("ArrowLeft", 0);
        await Press("ArrowDown", c);
        await Press("ArrowDown", 2 * c);
        await Press("ArrowDown", 2 * c);
        await Press("ArrowRight", 2 * c + 1);
        await Press("ArrowUp", c + 1);
        await Press("ArrowUp", 1);
        // From the end of a full row, Down goes to the nearest tile of the short last row; Right at the end stays.
        await At(2 * c - 1);
        await Press("ArrowDown", last);
        await Press("ArrowRight", last);
        await Press("ArrowUp", lastRow - c + (last - lastRow));

        // Focus left the grid (a toolbar button was clicked): the arrows go on from the tile the expert was on.
        await At(3);
        await page.ClickAsync("#select-none");
        Assert.Equal(-1, await FocusedAsync(page));
        await Press("ArrowRight", 4);

        // Reject the second and third tiles of the second row: they fade, and the arrows step over them.
        await At(c + 1);
        await page.Keyboard.PressAsync("Space");
        await Press("ArrowRight", c + 2);
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("x");
        await page.Locator("#status #note").WaitForAsync();
        Assert.Equal(2, await page.Locator("#grid .cell.done").CountAsync());
        await At(c);
        await Press("ArrowRight", c + 3);
        await Press("ArrowLeft", c);
        await At(2 * c + 1);
        await Press("ArrowUp", c); // column 0 is nearer than column 3
        await At(2 * c + 2);
        await Press("ArrowUp", c + 3);
        await At(1);
        await Press("ArrowDown", c);
        // Space takes the tile the arrows reached, and only it.
        await Press("ArrowRight", c + 3);
        await page.Keyboard.PressAsync("Space");
        await Selected("Space", c + 3);
        await page.Keyboard.PressAsync("Escape");

        // Shift+arrows: a range from the anchor that grows and shrinks, never over decided tiles, keeping what
        // Space selected before.
        await At(0);
        await page.Keyboard.PressAsync("Space");
        await Press("ArrowRight", 1);
        await Press("ArrowRight", 2);
        await Press("ArrowRight", 3);
        await Press("Shift+ArrowRight", 4);
        await Press("Shift+ArrowRight", 5);
        await Selected("Shift+ArrowRight twice", 0, 3, 4, 5);
        await Press("Shift+ArrowLeft", 4);
        await Selected("Shift+ArrowLeft", 0, 3, 4);
        await Press("Shift+ArrowDown", c + 4);
        await Selected("Shift+ArrowDown", [0, .. Enumerable.Range(3, c + 2).Where(i => i != c + 1 && i != c + 2)]);
        await Press("Shift+ArrowUp", 4);
        await Selected("Shift+ArrowUp", 0, 3, 4);
        await page.Keyboard.PressAsync("Escape");
        Assert.Empty(await CheckedAsync(page));

        // Large tiles (+): fewer columns, and Down still goes to the tile drawn below.
        await At(0);
        await page.Keyboard.PressAsync("Equal");
        await page.WaitForFunctionAsync("() => document.getElementById('grid').classList.contains('zoom-l')");
        var z = await ColumnsAsync(page);
        Assert.True(z < c, $"{z} columns of large tiles, {c} of medium ones");
        var done = new HashSet<int> { c + 1, c + 2 };
        var at = 0;
        for (var row = 1; row <= last / z; row++)
        {
            var expected = Enumerable.Range(row * z, Math.Min(z, Tiles - row * z)).Where(i => !done.Contains(i)).MinBy(i => (Math.Abs(i % z - at % z), i % z));
            await Press("ArrowDown", expected);
            at = expected;
        }
        await Press("ArrowDown", at);

        // Going back up a long page, the tile is never left under the sticky toolbar.
        await At(last);
        await page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
        for (var row = last / z - 1; row >= 0; row--)
        {
            await page.Keyboard.PressAsync("ArrowUp");
            Assert.Equal(row, await page.EvaluateAsync<int>($"() => Math.floor([...document.querySelectorAll('#grid .cell')].indexOf(document.activeElement.closest('.cell')) / {z})"));
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        var toolbar = (await page.Locator(".toolbar").BoundingBoxAsync())!;
        var tile = (await page.Locator("#grid .cell:focus-within").BoundingBoxAsync())!;
        Assert.True(tile.Y >= toolbar.Y + toolbar.Height - 1, $"the tile at y={tile.Y} is under the toolbar ending at {toolbar.Y + toolbar.Height}");
    }

    private static Task<int> ColumnsAsync(IPage page) =>
        page.EvalOnSelectorAsync<int>("#grid", "g => getComputedStyle(g).gridTemplateColumns.split(' ').length");

    private static Task<int> FocusedAsync(IPage page) =>
        page.EvaluateAsync<int>("() => { const c = document.activeElement && document.activeElement.closest('#grid .cell'); return c ? [...document.querySelectorAll('#grid .cell')].indexOf(c) : -1; }");

    private static async Task<int[]> CheckedAsync(IPage page) =>
        await page.EvaluateAsync<int[]>("() => [...document.querySelectorAll('#grid .cell')].map((c, i) => c.querySelector('input').checked ? i : -1).filter(i => i >= 0)");
}
