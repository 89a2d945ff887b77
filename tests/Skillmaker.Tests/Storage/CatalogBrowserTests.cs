using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

/// <summary>The dashboard's catalog queries (filters, keyset pages, one image's uses), on every catalog engine.</summary>
public abstract class CatalogBrowserContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset At = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Ten photos: even ones from "fans" labelled audi, odd ones from "dealer" labelled bmw; sets of two;
    /// taken on day i of March 2021; widths 100 + 10 i.</summary>
    private static async Task<List<string>> FillAsync(ICatalog catalog)
    {
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var id = Sha256Hex.Of(BitConverter.GetBytes(i + 1000));
            ids.Add(id);
            await catalog.RecordIngestAsync(new IngestWrite
            {
                ImageId = id,
                NewImage = new ImageRecord { Id = id, Kind = ImageKind.Original, ByteSize = 10, Format = "jpeg", Width = 100 + 10 * i, Height = 80, ExifOrientation = 1, PerceptualHash = (ulong)i, IngestedAt = At },
                Occurrence = new ImageOccurrence { ImageId = id, Source = i % 2 == 0 ? "fans" : "dealer", OriginalPath = $"/p/{i}.jpg", OriginalFileName = $"{i}.jpg", RunId = "r", SeenAt = At },
                Fields =
                [
                    new FieldValue { ImageId = id, Field = Fields.SetId, Value = $"set-{i / 2}", Provenance = Provenance.Source, Actor = "source:t", RecordedAt = At },
                    new FieldValue { ImageId = id, Field = Fields.DateTaken, Value = $"2021-03-{i + 1:00}T10:00:00", Provenance = Provenance.Exif, Actor = "exif", RecordedAt = At },
                ],
                Labels = [new LabelRecord { ImageId = id, Label = i % 2 == 0 ? "audi" : "bmw", Status = LabelStatus.Hint, Provenance = Provenance.Source, Actor = "source:t", RecordedAt = At }],
            }, None);
        }
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    private static async Task<List<string>> AllAsync(ICatalogBrowser browser, BrowseFilter filter, int pageSize)
    {
        var found = new List<string>();
        string? after = null;
        do
        {
            var page = await browser.BrowseAsync(new BrowseQuery(filter, after, pageSize), None);
            found.AddRange(page.Rows.Select(r => r.Image.Id));
            after = page.Next;
        } while (after is not null);
        return found;
    }

    [Fact]
    public async Task BrowseAsync_FiltersAndKeysetPages_MatchTheRowsWritten()
    {
        await using var ws = await CreateWorkspaceAsync();
        var ids = await FillAsync(ws.Catalog);
        var browser = WorkspaceStorage.CatalogBrowser(ws.Catalog);
        var byIndex = Enumerable.Range(0, 10).ToDictionary(i => i, i => Sha256Hex.Of(BitConverter.GetBytes(i + 1000)));
        List<string> Expected(Func<int, bool> keep) => [.. byIndex.Where(p => keep(p.Key)).Select(p => p.Value).Order(StringComparer.Ordinal)];

        Assert.Equal(ids, await AllAsync(browser, new BrowseFilter(), 3));
        Assert.Equal(Expected(i => i % 2 == 0), await AllAsync(browser, new BrowseFilter { Label = "audi", LabelProvenance = Provenance.Source }, 2));
        Assert.Empty(await AllAsync(browser, new BrowseFilter { Label = "audi", LabelProvenance = Provenance.Expert }, 2));
        Assert.Equal(Expected(i => i % 2 == 1), await AllAsync(browser, new BrowseFilter { Source = "dealer" }, 4));
        Assert.Equal(Expected(i => i / 2 == 3), await AllAsync(browser, new BrowseFilter { SetId = "set-3" }, 4));
        Assert.Equal(Expected(i => i + 1 >= 3 && i + 1 <= 5), await AllAsync(browser, new BrowseFilter { TakenFrom = "2021-03-03", TakenTo = "2021-03-05" }, 4));
        Assert.Equal(Expected(i => 100 + 10 * i >= 170), await AllAsync(browser, new BrowseFilter { MinWidth = 170, Kind = ImageKind.Original }, 4));
        Assert.Equal(ids, await AllAsync(browser, new BrowseFilter { Detection = "unprocessed" }, 20));
        Assert.Empty(await AllAsync(browser, new BrowseFilter { Split = "test" }, 4));

        var row = (await browser.BrowseAsync(new BrowseQuery(new BrowseFilter { Label = "bmw" }, null, 1), None)).Rows.Single();
        Assert.Equal(("bmw", LabelStatus.Hint, Provenance.Source, "dealer"), (row.Label, row.LabelStatus!.Value, row.LabelProvenance!.Value, row.Source));
        var facets = await browser.FacetsAsync(None);
        Assert.Equal(["dealer", "fans"], facets.Sources);
        Assert.Equal(["audi", "bmw"], facets.Labels);
    }

    [Fact]
    public async Task BrowseAsync_CrowdState_EachCropInTheFurthestStepItReached()
    {
        await using var ws = await CreateWorkspaceAsync();
        var photos = await FillAsync(ws.Catalog);
        var crops = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var id = Sha256Hex.Of(BitConverter.GetBytes(i + 2000));
            crops.Add(id);
            await ws.Catalog.RecordIngestAsync(new IngestWrite
            {
                ImageId = id,
                NewImage = new ImageRecord { Id = id, Kind = ImageKind.Crop, ParentId = photos[i], ByteSize = 10, Format = "jpeg", Width = 50, Height = 40, ExifOrientation = 1, PerceptualHash = (ulong)i, IngestedAt = At },
                Occurrence = new ImageOccurrence { ImageId = id, Source = "detect", OriginalPath = $"crop:{i}", OriginalFileName = $"c{i}.jpg", RunId = "r", SeenAt = At },
                Labels = [new LabelRecord { ImageId = id, Label = "audi", Status = LabelStatus.Hint, Provenance = Provenance.Source, Actor = "source:t", RecordedAt = At }],
            }, None);
        }
        var line = ws.Line();
        var crowd = line.CrowdStore;
        Assert.Equal(6, await crowd.EnqueueAsync(crops[1..7], 3, At, None));
        var tasks = (await crowd.GetTasksAsync(null, openOnly: true, None)).ToDictionary(t => t.ImageId);
        await crowd.ImportAnswersAsync([new Skillmaker.Crowd.CrowdAnswer { TaskId = tasks[crops[2]].Id, Worker = "w", Content = "exterior", Quality = "good", Channel = "web", AnsweredAt = At }], None);
        Skillmaker.Crowd.CrowdResult Result(int i, Skillmaker.Crowd.CrowdOutcome outcome) => new()
        {
            ImageId = crops[i], TaskId = tasks[crops[i]].Id, Method = Skillmaker.Crowd.ConsolidationMethod.Majority, Content = "exterior", ContentConfidence = 1, Quality = "good",
            QualityConfidence = 1, Answers = 3, Outcome = outcome, ConsolidatedAt = At,
        };
        await crowd.SaveConsolidationAsync([Result(3, Skillmaker.Crowd.CrowdOutcome.Resolved), Result(4, Skillmaker.Crowd.CrowdOutcome.Escalated), Result(5, Skillmaker.Crowd.CrowdOutcome.Escalated),
            Result(6, Skillmaker.Crowd.CrowdOutcome.Requeued)], None);
        var review = line.Review();
        await review.ConfirmAsync([crops[5]], "audi", "ana", None);
        var undone = await review.ConfirmAsync([crops[7]], "audi", "ana", None);
        Assert.Equal(1, await review.UndoAsync(undone.BatchId, "ana", false, None));
        var browser = WorkspaceStorage.CatalogBrowser(ws.Catalog);
        List<string> Of(params int[] i) => [.. i.Select(x => crops[x]).Order(StringComparer.Ordinal)];

        // Not sent: never queued, or an expert decision that was undone; queued includes a re-queued round.
        Assert.Equal(Of(0, 7), await AllAsync(browser, new BrowseFilter { CrowdState = "not-sent", Kind = ImageKind.Crop }, 1));
        Assert.Equal(Of(1, 6), await AllAsync(browser, new BrowseFilter { CrowdState = "queued" }, 1));
        Assert.Equal(Of(2), await AllAsync(browser, new BrowseFilter { CrowdState = "answered" }, 5));
        Assert.Equal(Of(3), await AllAsync(browser, new BrowseFilter { CrowdState = "consolidated" }, 5));
        Assert.Equal(Of(4), await AllAsync(browser, new BrowseFilter { CrowdState = "escalated" }, 5));
        Assert.Equal(Of(5), await AllAsync(browser, new BrowseFilter { CrowdState = "expert-confirmed", Label = "audi" }, 5));
        Assert.Equal(photos, await AllAsync(browser, new BrowseFilter { CrowdState = "not-sent", Kind = ImageKind.Original }, 4));
        await Assert.ThrowsAsync<InvalidSettingException>(() => browser.BrowseAsync(new BrowseQuery(new BrowseFilter { CrowdState = "lost" }, null, 5), None));
    }

    [Fact]
    public async Task UsageAsync_OneImage_LabelHistorySetMembersAndAStampThatMoves()
    {
        await using var ws = await CreateWorkspaceAsync();
        await FillAsync(ws.Catalog);
        var browser = WorkspaceStorage.CatalogBrowser(ws.Catalog);
        var id = Sha256Hex.Of(BitConverter.GetBytes(1004));
        var stamp = await browser.ChangeStampAsync(None);

        var usage = await browser.UsageAsync(id, 10, None);

        Assert.Equal("audi", Assert.Single(usage.LabelHistory).Label.Label);
        Assert.Equal(new[] { id, Sha256Hex.Of(BitConverter.GetBytes(1005)) }.Order(StringComparer.Ordinal), usage.SetMembers);
        Assert.Empty(usage.Detections);
        Assert.Empty(usage.Manifests);
        await ws.Line().Registry.SetStatusAsync(new Registry.VersionStatus("makes", 1, "needs investigation", "test", "ana", At), None);
        Assert.NotEqual(stamp, await browser.ChangeStampAsync(None));
    }
}

public sealed class CatalogBrowserTests : CatalogBrowserContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class CatalogBrowserOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : CatalogBrowserContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.OnPostgresAsync(postgres, s3);
}
