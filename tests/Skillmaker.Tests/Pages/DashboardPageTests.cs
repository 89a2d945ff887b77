using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using SkiaSharp;
using Skillmaker.Catalog;
using Skillmaker.Crowd;
using Skillmaker.Host;
using Skillmaker.Server;
using Skillmaker.Server.Pages.Dashboard;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;
using Skillmaker.Users;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Pages;

/// <summary>The dashboard in a real browser over the trained workspace of <see cref="TrainingFixture"/>
/// (photos of 13 car classes, manifests cars13 and makes4, skills car-variants and makes v1..v3). One browser
/// for the class; the expert tests share one server over one clone, the admin test has its own.</summary>
[Collection(TrainingCollection.Name)]
public sealed class DashboardPageTests(TrainingFixture fixture, DashboardPageTests.Shared shared) : IClassFixture<DashboardPageTests.Shared>
{
    private readonly List<string> _console = [];

    /// <summary>The browser and the expert tests' server, started once for the class.</summary>
    public sealed class Shared : IAsyncLifetime
    {
        private Task<Served>? _server;
        public BrowserFixture Browser { get; } = new();

        public Task<Served> ServerAsync(TrainingFixture training)
        {
            lock (Browser) return _server ??= ServeAsync(training.Clone());
        }

        public Task InitializeAsync() => Browser.InitializeAsync();

        public async Task DisposeAsync()
        {
            if (_server is not null) await (await _server).DisposeAsync();
            await Browser.DisposeAsync();
        }
    }

    private static readonly string[] DashboardPages =
        ["/data", "/data?kind=original", "/data?crowd=queued", "/skills", "/skills/makes/1/failures", "/datasets/jobs/extract-x", "/skills/makes/1", "/skills/makes/1/cell?t=0&p=0", "/skills/makes/compare?a=1&b=2", "/datasets", "/datasets/audit"];

    [Fact]
    public async Task Dashboard_ExpertBrowsesFiltersCellsAndCompares_CrowdIsRefusedAndAxeFindsNothing()
    {
        var server = await shared.ServerAsync(fixture);
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

        // Crowd states: each image is in the furthest step it reached, and the filter finds exactly those.
        var states = await SetCrowdStatesAsync(server);
        foreach (var (state, id) in states)
        {
            Assert.Equal(200, (await expert.GotoAsync($"{server.Url}/data?crowd={state}&kind=crop"))!.Status);
            var listed = await expert.Locator("#images a.image-link").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            Assert.Contains($"/data/{id}", listed);
            Assert.All(states.Where(o => o.Key != state), o => Assert.DoesNotContain($"/data/{o.Value}", listed));
        }
        await AssertAccessibleAsync(expert);
        var badCrowd = await expert.GotoAsync($"{server.Url}/data?crowd=sent-to-mars");
        Assert.Equal(400, badCrowd!.Status);
        Assert.Contains("Crowd state 'sent-to-mars' is unknown; expected one of not-sent, queued", await expert.Locator("#filter-errors").InnerTextAsync());

        // Bad input as JSON: a ProblemDetails naming the problem, for every kind of bad request.
        foreach (var (path, status, says) in new[]
        {
            ("/data?crowd=sent-to-mars", 400, "Crowd state 'sent-to-mars' is unknown"),
            ("/data?after=not-an-id", 400, "Page start 'not-an-id' is not an image id"),
            ($"/data/{new string('a', 64)}", 404, "There is no image"),
            ("/skills/makes/99", 404, "no version 99"),
            ("/skills/makes/1/cell?t=0&p=77", 400, "not in the confusion matrix"),
            ($"/skills/makes/1/failures/{new string('b', 64)}/heatmap.png", 404, "is not a failure of makes v1"),
            ("/datasets/manifests/abcdef99", 404, "There is no manifest"),
            ("/datasets/jobs/extract-nope", 404, "There is no extract run"),
        })
        {
            var answer = await expert.APIRequest.GetAsync(server.Url + path, new() { Headers = new Dictionary<string, string> { ["Accept"] = "application/json" } });
            Assert.Equal(status, answer.Status);
            Assert.StartsWith("application/problem+json", answer.Headers["content-type"], StringComparison.Ordinal);
            var problem = await answer.JsonAsync();
            Assert.Equal(status, problem!.Value.GetProperty("status").GetInt32());
            Assert.Contains(says, problem.Value.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

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
    public async Task VersionPage_CalibrationLatencyAndFailuresWithHeatmaps_ExpertFixesACropLabelFromAFailure()
    {
        var server = await shared.ServerAsync(fixture);
        var expert = await SignInAsync(server, "vera", UserRole.Expert);
        var crowd = await SignInAsync(server, "cleo", UserRole.Crowd);

        // A crop of one of makes v1's failures, answered wrongly with high confidence: recorded as an evaluation would.
        var line = server.Line;
        var v1 = await line.SkillVersions().GetAsync(new Skills.SkillRef("makes", 1), CancellationToken.None);
        var evaluation = v1.Evaluation!;
        Assert.NotEmpty(evaluation.Failures);
        var photo = evaluation.Failures[0];
        var cropId = await RecordCropAsync(line, photo.ImageId, photo.TrueClass);
        var wrong = TrainingFixture.MakesClasses.First(c => c != photo.TrueClass);
        evaluation = evaluation with
        {
            EvaluatedAt = evaluation.EvaluatedAt.AddMinutes(1), Machine = "dashboard-test",
            Failures = [new Skillmaker.Evaluation.Failure(cropId, photo.TrueClass, wrong, 0.999, 0.0005), .. evaluation.Failures],
        };
        await line.Registry.SaveEvaluationAsync(evaluation, CancellationToken.None);

        // The version page: the reliability diagram (one bar per non-empty bin), latency percentiles, and the
        // failures, most confident first, each beside its heat map.
        await expert.GotoAsync($"{server.Url}/skills/makes/1");
        Assert.Equal(evaluation.Reliability!.Count(b => b.Images > 0), await expert.Locator("#reliability rect.bin").CountAsync());
        Assert.Equal(evaluation.Reliability!.Sum(b => b.Images), evaluation.Images);
        var latency = await expert.Locator("#latency td").AllInnerTextsAsync();
        Assert.Equal(6, latency.Count);
        Assert.All(latency, l => Assert.EndsWith(" ms", l, StringComparison.Ordinal));
        var cards = expert.Locator("#failures li.failure");
        Assert.Equal(Math.Min(VersionView.FailuresShown, evaluation.Failures.Count), await cards.CountAsync());
        await Assertions.Expect(cards.First.Locator("img.heatmap")).ToHaveJSPropertyAsync("complete", true, new() { Timeout = 60_000 });
        Assert.True(await cards.First.Locator("img.heatmap").EvaluateAsync<int>("img => img.naturalWidth") > 0);
        await AssertAccessibleAsync(expert);
        var heatmap = await expert.APIRequest.GetAsync($"{server.Url}/skills/makes/1/failures/{cropId}/heatmap.png");
        Assert.Equal("image/png", heatmap.Headers["content-type"]);
        using (var decoded = SKBitmap.Decode(await heatmap.BodyAsync()))
            Assert.InRange(Math.Max(decoded.Width, decoded.Height), 64, 320);

        // Every failure, a page at a time, each with its heat map.
        await expert.ClickAsync("#all-failures");
        Assert.Equal(Math.Min(DashboardEndpoints.FailuresPageSize, evaluation.Failures.Count), await expert.Locator("#cell-images li.failure img.heatmap").CountAsync());
        Assert.Contains($"{evaluation.Failures.Count} test images", await expert.Locator("#cell-count").InnerTextAsync(), StringComparison.Ordinal);

        // From the crop's failure, the review grid opens on that crop; the expert fixes its label there.
        await expert.Locator("#cell-images li.failure").First.Locator("a.fix-label").ClickAsync();
        await expert.Locator($"input[name='crop'][value='{cropId}']").CheckAsync();
        Assert.Equal(1, await expert.Locator("input[name='crop']").CountAsync());
        await expert.SelectOptionAsync("#label", wrong);
        await expert.ClickAsync("#relabel");
        await expert.GotoAsync($"{server.Url}/data/{cropId}");
        var history = await expert.Locator("#labels").InnerTextAsync();
        Assert.Contains(wrong, history, StringComparison.Ordinal);
        Assert.Contains("expert", history, StringComparison.Ordinal);
        Assert.Equal(404, (await expert.GotoAsync($"{server.Url}/review?crop={photo.ImageId}"))!.Status);

        // The crowd sees none of it.
        foreach (var path in new[] { "/skills/makes/1", "/skills/makes/1/failures", $"/skills/makes/1/failures/{cropId}/heatmap.png" })
            Assert.Equal(403, (await crowd.GotoAsync(server.Url + path))!.Status);
        Assert.DoesNotContain(_console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    /// <summary>A crop from the middle (or the top left) of <paramref name="parentId"/> with the label hint <paramref name="label"/>, as detection records one.</summary>
    private static async Task<string> RecordCropAsync(LineServices line, string parentId, string label, bool topLeft = false)
    {
        using var photo = SKBitmap.Decode(await line.Blobs.ReadAllBytesAsync(parentId, CancellationToken.None));
        using var cut = new SKBitmap(photo.Width / 2, photo.Height / 2);
        var (x, y) = topLeft ? (0, 0) : (photo.Width / 4, photo.Height / 4);
        Assert.True(photo.ExtractSubset(cut, new SKRectI(x, y, x + cut.Width, y + cut.Height)));
        var bytes = TestImages.Encode(cut, SKEncodedImageFormat.Jpeg, 90);
        var id = Common.Sha256Hex.Of(bytes);
        await line.Blobs.PutAsync(id, bytes, CancellationToken.None);
        var now = line.Time.GetUtcNow();
        await line.Catalog.RecordIngestAsync(new IngestWrite
        {
            ImageId = id,
            NewImage = new ImageRecord
            {
                Id = id, Kind = ImageKind.Crop, ParentId = parentId, ByteSize = bytes.Length, Format = "jpeg", Width = cut.Width, Height = cut.Height,
                ExifOrientation = 1, PerceptualHash = 0, IngestedAt = now,
            },
            Occurrence = new ImageOccurrence { ImageId = id, Source = "detect", OriginalPath = $"crop:{parentId}", OriginalFileName = "crop.jpg", RunId = "test-crops", SeenAt = now },
            Labels = [new LabelRecord { ImageId = id, Label = label, Status = LabelStatus.Hint, Provenance = Common.Provenance.Source, Actor = "source:test", RecordedAt = now }],
        }, CancellationToken.None);
        return id;
    }

    [Fact]
    public async Task Dashboard_AdminExtractsAndPromotes_ExpertPageUpdatesLive()
    {
        var root = fixture.Clone();
        await using var server = await ServeAsync(root);
        var admin = await SignInAsync(server, "boss", UserRole.Admin);
        var expert = await SignInAsync(server, "ana", UserRole.Expert);

        // Extract again from the page: it runs as a job whose page follows it; the same definition on the same
        // catalog gives the same manifest.
        var runs = await ExtractRunsAsync(server);
        await admin.GotoAsync($"{server.Url}/datasets");
        await admin.ClickAsync("#extract-makes4");
        await admin.WaitForURLAsync(new Regex("/datasets/jobs/extract-"));
        await Assertions.Expect(admin.Locator("#outcome")).ToContainTextAsync("Nothing changed", new() { Timeout = 60_000 });
        Assert.Equal("0 added", await admin.Locator("#added").InnerTextAsync());
        Assert.StartsWith("Done in", await admin.Locator("#job-state").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(runs + 1, await ExtractRunsAsync(server));
        await AssertAccessibleAsync(admin);

        // A new photo of one of its classes arrives; a double click on Extract runs one extract, whose page shows
        // the photo as the one item added.
        var extra = Path.Combine(Path.GetDirectoryName(root)!, "extra", TrainingFixture.MakesClasses[0]);
        Directory.CreateDirectory(extra);
        using (var photo = SKBitmap.Decode(Directory.EnumerateFiles(Path.Combine(TestAssets.Cars, TrainingFixture.MakesClasses[0])).Order(StringComparer.Ordinal).First()))
            await File.WriteAllBytesAsync(Path.Combine(extra, "again.jpg"), TestImages.Encode(photo, SKEncodedImageFormat.Jpeg, 71));
        // And a photo of a model no class has yet: cars13 (classes from labels) will refuse to grow silently.
        var unknown = Path.Combine(Path.GetDirectoryName(root)!, "extra", "brand_new_car_2026");
        Directory.CreateDirectory(unknown);
        using (var photo = SKBitmap.Decode(Directory.EnumerateFiles(Path.Combine(TestAssets.Cars, TrainingFixture.MakesClasses[1])).Order(StringComparer.Ordinal).First()))
            await File.WriteAllBytesAsync(Path.Combine(unknown, "new.jpg"), TestImages.Encode(photo, SKEncodedImageFormat.Jpeg, 73));
        Assert.Equal(0, (await CliRunner.RunAsync(root, "ingest", Path.GetDirectoryName(extra)!, "--source", "extra", "--labels-from-folders")).ExitCode);
        await admin.ClickAsync("#manifest-link");
        await admin.DblClickAsync("#extract");
        await admin.WaitForURLAsync(new Regex("/datasets/jobs/extract-"));
        await Assertions.Expect(admin.Locator("#outcome")).ToContainTextAsync("Extracted manifest", new() { Timeout = 60_000 });
        Assert.Equal("1 added", await admin.Locator("#added").InnerTextAsync());
        Assert.Equal("0 removed", await admin.Locator("#removed").InnerTextAsync());
        Assert.Equal("0 moved", await admin.Locator("#moved").InnerTextAsync());
        Assert.Equal(runs + 2, await ExtractRunsAsync(server));
        var manifests = (await server.Line.DatasetStore.ListManifestsAsync(CancellationToken.None)).Count;

        // A stored definition that no longer parses is refused before anything is queued: on the page, and as a
        // ProblemDetails for a JSON client.
        await SaveWithDefinitionAsync(server, "makes4", """{ "name": "makes4", "imageKind": "original", "allowLabelHints": true }""");
        manifests++;
        await admin.GotoAsync($"{server.Url}/datasets");
        var refused = await admin.RunAndWaitForResponseAsync(() => admin.ClickAsync("#extract-makes4"), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        var message = await admin.Locator(".error").InnerTextAsync();
        Assert.Contains("classes: at least two classes are needed", message, StringComparison.Ordinal);
        Assert.Contains("Nothing was queued or changed", message, StringComparison.Ordinal);
        await AssertAccessibleAsync(admin);
        await admin.GotoAsync($"{server.Url}/datasets");
        var token = await admin.Locator("form[action='/datasets/makes4/extract'] input[name='__RequestVerificationToken']").GetAttributeAsync("value");
        var json = await admin.APIRequest.PostAsync($"{server.Url}/datasets/makes4/extract", new()
        {
            Headers = new Dictionary<string, string> { ["Accept"] = "application/json" },
            Form = admin.APIRequest.CreateFormData().Set("__RequestVerificationToken", token!),
        });
        Assert.Equal(400, json.Status);
        Assert.Contains("at least two classes are needed", (await json.JsonAsync())!.Value.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(404, (await admin.APIRequest.PostAsync($"{server.Url}/datasets/no-such-set/extract", new()
        {
            Headers = new Dictionary<string, string> { ["Accept"] = "application/json" },
            Form = admin.APIRequest.CreateFormData().Set("__RequestVerificationToken", token!),
        })).Status);
        Assert.Equal(runs + 2, await ExtractRunsAsync(server));

        // A definition that parses but no longer holds fails in its job (cars13 takes its classes from the labels, and
        // a label that is no class yet appeared): the page says why, and no manifest was written.
        await admin.GotoAsync($"{server.Url}/datasets");
        await admin.ClickAsync("#extract-cars13");
        await admin.WaitForURLAsync(new Regex("/datasets/jobs/extract-"));
        await Assertions.Expect(admin.Locator("#job-error")).ToContainTextAsync("brand_new_car_2026", new() { Timeout = 60_000 });
        Assert.Contains("Nothing was written", await admin.Locator("#job-error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(manifests, (await server.Line.DatasetStore.ListManifestsAsync(CancellationToken.None)).Count);
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
        var promoteToken = await admin.Locator("input[name='__RequestVerificationToken']").First.GetAttributeAsync("value");
        var again = await admin.APIRequest.PostAsync($"{server.Url}/skills/makes/2/promote", new()
        {
            Headers = new Dictionary<string, string> { ["Accept"] = "application/json" },
            Form = admin.APIRequest.CreateFormData().Set("__RequestVerificationToken", promoteToken!),
        });
        Assert.Equal(409, again.Status);
        Assert.Contains("already production", (await again.JsonAsync())!.Value.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_console, m => m.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    private static async Task<int> ExtractRunsAsync(Served server) =>
        (await server.Line.JobLedger.ListRunsAsync(1000, CancellationToken.None)).Count(r => r.Kind == Skillmaker.Datasets.ExtractJobs.Kind);

    /// <summary>Stores a copy of the dataset's newest manifest carrying <paramref name="definition"/>, as a catalog written
    /// by an older Skillmaker (or by hand) could hold: what Extract runs again next.</summary>
    private static async Task SaveWithDefinitionAsync(Served server, string dataset, string definition)
    {
        var store = server.Line.DatasetStore;
        var newest = (await store.ListManifestsAsync(CancellationToken.None)).Where(m => m.Name == dataset).MaxBy(m => m.CreatedAt)!;
        var manifest = (await store.GetManifestAsync(newest.Id, CancellationToken.None))! with { DefinitionJson = definition, CreatedAt = newest.CreatedAt.AddSeconds(1) };
        manifest = manifest with { Id = Skillmaker.Datasets.DatasetManifest.ComputeId(manifest) };
        Assert.True(await store.SaveManifestAsync(manifest, [], CancellationToken.None));
    }

    /// <summary>Cuts a crop from each of six photos and puts one in each crowd state, as the crowd
    /// pages, consolidation and the review grid write them; returns state → crop id.</summary>
    private static async Task<Dictionary<string, string>> SetCrowdStatesAsync(Served server)
    {
        var line = server.Line;
        var page = await line.CatalogBrowser.BrowseAsync(new BrowseQuery(new BrowseFilter { Kind = ImageKind.Original }, null, 6), CancellationToken.None);
        var ids = new List<string>();
        foreach (var row in page.Rows) ids.Add(await RecordCropAsync(line, row.Image.Id, row.Label!, topLeft: true));
        var now = line.Time.GetUtcNow();
        var crowd = line.CrowdStore;
        Assert.Equal(4, await crowd.EnqueueAsync(ids[..4], 3, now, CancellationToken.None));
        var tasks = (await crowd.GetTasksAsync(null, openOnly: true, CancellationToken.None)).ToDictionary(t => t.ImageId);
        Assert.All(await crowd.ImportAnswersAsync([new CrowdAnswer { TaskId = tasks[ids[1]].Id, Worker = "w1", Content = "exterior", Quality = "good", Channel = "web", AnsweredAt = now }],
            CancellationToken.None), r => Assert.Equal(ImportStatus.Recorded, r));
        CrowdResult Result(string id, CrowdOutcome outcome) => new()
        {
            ImageId = id, TaskId = tasks[id].Id, Method = ConsolidationMethod.Majority, Content = "exterior", ContentConfidence = 0.9, Quality = "good", QualityConfidence = 0.9,
            Answers = 3, Outcome = outcome, ConsolidatedAt = now,
        };
        await crowd.SaveConsolidationAsync([Result(ids[2], CrowdOutcome.Resolved), Result(ids[3], CrowdOutcome.Escalated)], CancellationToken.None);
        await line.Review().ConfirmAsync([ids[4]], page.Rows[4].Label!, "ana", CancellationToken.None);
        return new() { ["not-sent"] = ids[5], ["queued"] = ids[0], ["answered"] = ids[1], ["consolidated"] = ids[2], ["escalated"] = ids[3], ["expert-confirmed"] = ids[4] };
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
        var context = await shared.Browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
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

    public sealed record Served(LineServices Line, WebApplication App, string Url) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            await Line.DisposeAsync();
        }
    }
}
