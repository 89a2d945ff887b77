using System.Data.Common;
using Dapper;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Datasets;

/// <summary>Dataset extraction and the split ledger, run against every catalog engine.</summary>
public abstract class DatasetExtractContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    /// <summary>The engine's statement that drops a trigger (PostgreSQL names the table too).</summary>
    protected abstract string DropTrigger(string trigger, string table);

    [Fact]
    public async Task ExtractAsync_CarsInSets_SetsNeverStraddleAndShareNearTarget()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets());

        var result = await DatasetSetup.Service(ws).ExtractAsync(DatasetSetup.AllCars(), null, None);

        var m = result.Manifest;
        Assert.Equal(364, m.Items.Count);
        Assert.Equal(13, m.Classes.Count);
        var rows = DatasetSetup.CarsInSets().ToDictionary(r => Sha256Hex.Of(File.ReadAllBytes(r.Path)));
        foreach (var set in m.Items.GroupBy(i => rows[i.ImageId].SetId))
            Assert.Single(set.Select(i => i.Split).Distinct());
        foreach (var cls in m.CountsAfter)
            Assert.InRange(cls.Test / (double)cls.Total, 0.1, 0.3);
        Assert.All(m.Items, i => Assert.Equal(rows[i.ImageId].Label, i.Class));
        // Written as JSON and CSV, named by the content hash.
        Assert.Equal(m.Id, DatasetManifest.ComputeId(m));
        Assert.Contains(m.Id[..12], result.JsonPath);
        Assert.Equal(365, (await File.ReadAllLinesAsync(result.CsvPath)).Length);
    }

    [Fact]
    public async Task ExtractAsync_SameCatalogTwice_SameManifestNotDuplicated()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets());
        var service = DatasetSetup.Service(ws);

        var first = await service.ExtractAsync(DatasetSetup.AllCars(), null, None);
        var second = await service.ExtractAsync(DatasetSetup.AllCars(), null, None);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Manifest.Id, second.Manifest.Id);
        Assert.Single(await WorkspaceStorage.DatasetStore(ws.Catalog).ListManifestsAsync(None));
    }

    [Fact]
    public async Task ExtractAsync_NewPhotosNearDuplicatesAndHigherFraction_EarlierTestStaysTestAndAuditPasses()
    {
        await using var ws = await CreateWorkspaceAsync();
        var all = DatasetSetup.CarsInSets();
        // Hold back the last photo of every set; they arrive later as "new photos of the same car".
        var late = all.GroupBy(r => r.SetId).Select(g => g.Last()).ToHashSet();
        await DatasetSetup.IngestAsync(ws, all.Where(r => !late.Contains(r)));
        var service = DatasetSetup.Service(ws);
        var first = (await service.ExtractAsync(DatasetSetup.AllCars(), null, None)).Manifest;
        var firstTest = first.Items.Where(i => i.Split == Split.Test).Select(i => i.ImageId).ToHashSet();
        var rows = all.ToDictionary(r => Sha256Hex.Of(File.ReadAllBytes(r.Path)));

        // A fan re-posts a test photo, re-encoded and resized, with no set id: only its pixels link it.
        var testPhoto = rows[firstTest.First()];
        var repost = ws.Scratch.File("fans/repost.jpg");
        await File.WriteAllBytesAsync(repost, TestImages.ReencodedCopy(testPhoto.Path, 0.7, 75));
        var repostSummary = await ws.Ingest().RunAsync(new Skillmaker.Ingest.IngestRequest { Paths = [repost], Source = "fans" }, null, None);
        Assert.Equal(1, repostSummary.NearDuplicates);
        await ws.Catalog.RecordIngestAsync(HintFor(Sha256Hex.Of(File.ReadAllBytes(repost)), testPhoto.Label), None);
        await DatasetSetup.IngestAsync(ws, late);

        var second = (await service.ExtractAsync(DatasetSetup.AllCars(testFraction: 0.5), null, None)).Manifest;

        var splitOf = second.Items.ToDictionary(i => i.ImageId, i => i.Split);
        Assert.All(firstTest, id => Assert.Equal(Split.Test, splitOf[id]));
        Assert.Equal(Split.Test, splitOf[Sha256Hex.Of(File.ReadAllBytes(repost))]);
        var testSets = firstTest.Select(id => rows[id].SetId).ToHashSet();
        foreach (var photo in late.Where(r => testSets.Contains(r.SetId)))
            Assert.Equal(Split.Test, splitOf[Sha256Hex.Of(File.ReadAllBytes(photo.Path))]);
        Assert.Equal(365, second.Items.Count);

        var audit = await AuditAsync(ws);
        Assert.True(audit.Passed, string.Join("\n", audit.Checks.SelectMany(c => c.Offending)));
    }

    [Fact]
    public async Task Audit_LedgerCorrupted_FailsNamingTheGroup()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets());
        var first = (await DatasetSetup.Service(ws).ExtractAsync(DatasetSetup.AllCars(), null, None)).Manifest;
        var testGroup = first.Items.First(i => i.Split == Split.Test).Group;

        // Someone with database access tries to move a test group back to train.
        await ExecuteAsync(ws, $"INSERT INTO split_ledger (atom, split, reason, manifest_id, recorded_at) VALUES ('{testGroup}', 'train', 'manual edit', 'x', '2030-01-01T00:00:00Z')");
        var update = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(ws, "UPDATE split_ledger SET split = 'train'"));
        Assert.Contains("append-only", update.Message);

        var audit = await AuditAsync(ws);

        Assert.False(audit.Passed);
        var failed = Assert.Single(audit.Checks, c => !c.Passed);
        Assert.Equal("ledger-append-only", failed.Name);
        Assert.Contains(testGroup, Assert.Single(failed.Offending));
    }

    [Fact]
    public async Task Audit_ManifestItemForcedFromTestToTrain_FailsListingItem()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets());
        var service = DatasetSetup.Service(ws);
        var first = (await service.ExtractAsync(DatasetSetup.AllCars(), null, None)).Manifest;
        await DatasetSetup.IngestAsync(ws, [(TestAssets.Scene("bus.jpg"), "bus-1", "audi_s4_sedan_2007")]);
        var second = (await service.ExtractAsync(DatasetSetup.AllCars(), null, None)).Manifest;
        var victim = first.Items.First(i => i.Split == Split.Test);

        await ExecuteAsync(ws, $"{DropTrigger("manifest_items_immutable", "manifest_items")}; UPDATE manifest_items SET split = 'train' WHERE manifest_id = '{second.Id}' AND image_id = '{victim.ImageId}'");
        var audit = await AuditAsync(ws);

        Assert.False(audit.Passed);
        var stillTest = Assert.Single(audit.Checks, c => c.Name == "test-stays-test");
        Assert.False(stillTest.Passed);
        Assert.Contains(victim.ImageId, Assert.Single(stillTest.Offending));
        Assert.False(Assert.Single(audit.Checks, c => c.Name == "groups-on-one-side").Passed);
    }

    [Fact]
    public async Task ExtractAsync_BalancePolicy_DropsReportsCapsAndWeighs()
    {
        await using var ws = await CreateWorkspaceAsync();
        var rows = DatasetSetup.CarsInSets();
        // Only 3 photos of the Tesla: under the minimum of 5.
        await DatasetSetup.IngestAsync(ws, rows.Where(r => r.Label != "tesla_model_s_sedan_2012").Concat(rows.Where(r => r.Label == "tesla_model_s_sedan_2012").Take(3)));
        var definition = DatasetSetup.AllCars() with { Balance = new BalancePolicy { MinPerClass = 5, MaxPerClass = 15, ClassWeights = true } };

        var m = (await DatasetSetup.Service(ws).ExtractAsync(definition, null, None)).Manifest;
        var again = (await DatasetSetup.Service(ws).ExtractAsync(definition, null, None)).Manifest;

        var dropped = Assert.Single(m.DroppedClasses);
        Assert.Equal("tesla_model_s_sedan_2012", dropped.Class);
        Assert.Contains("fewer than balance.minPerClass 5", dropped.Reason);
        Assert.Contains(m.CountsBefore, c => c.Class == "tesla_model_s_sedan_2012" && c.Total == 3);
        Assert.DoesNotContain("tesla_model_s_sedan_2012", m.Classes);
        Assert.All(m.CountsAfter, c => Assert.Equal(15, c.Train));
        Assert.All(m.CountsAfter, c => Assert.Equal(m.CountsBefore.Single(b => b.Class == c.Class).Test, c.Test));
        Assert.All(m.ClassWeights!.Values, w => Assert.Equal(1.0, w));
        Assert.Equal(m.Id, again.Id);
    }

    [Fact]
    public async Task ExtractAsync_UnknownLabelAndEmptyClass_ErrorNamesFields()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets().Take(60));
        var definition = new DatasetDefinition
        {
            Name = "makes",
            ImageKind = ImageKind.Original,
            AllowLabelHints = true,
            Classes =
            [
                new ClassDefinition { Name = "audi", Labels = ["audi_s4_sedan_2007", "audi_s4_sedan_2012"] },
                new ClassDefinition { Name = "lada", Labels = ["lada_niva"] },
            ],
        };

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => DatasetSetup.Service(ws).ExtractAsync(definition, null, None));

        Assert.Contains("classes[1].labels[0]: label 'lada_niva' is not on any original image", ex.Message);
        Assert.Contains("classes[1]: class 'lada' is empty", ex.Message);
        Assert.Contains("known: audi_s4_sedan_2007", ex.Message);
        Assert.Empty(await WorkspaceStorage.DatasetStore(ws.Catalog).ListManifestsAsync(None));
    }

    [Fact]
    public async Task ExtractAsync_OnlyConfirmedLabelsButNoneConfirmed_ExplainsHints()
    {
        await using var ws = await CreateWorkspaceAsync();
        await DatasetSetup.IngestAsync(ws, DatasetSetup.CarsInSets().Take(60));

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => DatasetSetup.Service(ws).ExtractAsync(DatasetSetup.AllCars() with { AllowLabelHints = false }, null, None));

        Assert.Contains("allowLabelHints", ex.Message);
    }

    private static IngestWrite HintFor(string imageId, string label) => new()
    {
        ImageId = imageId,
        Occurrence = new ImageOccurrence { ImageId = imageId, Source = "fans", OriginalPath = "/fans/repost.jpg", OriginalFileName = "repost.jpg", RunId = "test", SeenAt = DateTimeOffset.UnixEpoch },
        Labels = [new LabelRecord { ImageId = imageId, Label = label, Status = LabelStatus.Hint, Provenance = Provenance.Source, Actor = "test", RecordedAt = DateTimeOffset.UnixEpoch }],
    };

    private static async Task<AuditReport> AuditAsync(TestWorkspace ws)
    {
        var store = WorkspaceStorage.DatasetStore(ws.Catalog);
        var atoms = (await store.GetCandidatesAsync(ImageKind.Original, None)).ToDictionary(c => c.ImageId, c => new SplitItem(c.ImageId, c.SetId, c.NearDuplicateClusters));
        return SplitAudit.Run(await store.GetAllManifestsAsync(None), await store.GetLedgerAsync(None), atoms);
    }

    /// <summary>What someone with direct database access could do.</summary>
    private static async Task ExecuteAsync(TestWorkspace ws, string sql)
    {
        await using var connection = await ((SqlCatalog)ws.Catalog).OpenAsync(None);
        await connection.ExecuteAsync(sql);
    }
}

public sealed class DatasetExtractTests : DatasetExtractContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();

    protected override string DropTrigger(string trigger, string table) => $"DROP TRIGGER {trigger}";
}

/// <summary>The same extraction on PostgreSQL (and S3 blobs).</summary>
[Collection(PostgresCollection.Name)]
public sealed class DatasetExtractOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : DatasetExtractContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);

    protected override string DropTrigger(string trigger, string table) => $"DROP TRIGGER {trigger} ON {table}";
}

public sealed class DatasetDefinitionTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData("""{"name":"x","classesFromLabels":true,"testFraction":1.5}""", "testFraction: 1.5 is outside [0, 1)")]
    [InlineData("""{"name":"x","classes":[{"name":"a","labels":[]}]}""", "classes[0].labels: class 'a' maps no labels")]
    [InlineData("""{"name":"x","classesFromLabels":true,"filters":{"crowdContent":["outside"]}}""", "filters.crowdContent[0]: 'outside' is not an answer; allowed: interior, exterior")]
    [InlineData("""{"name":"x","classesFromLabels":true,"balanse":{}}""", "balanse")]
    [InlineData("""{"name":"x","classesFromLabels":true,"imageKind":"video"}""", "imageKind")]
    [InlineData("""{"name":"x"}""", "classes: at least two classes are needed")]
    public async Task LoadAsync_BadDefinition_ErrorNamesFieldAndAllowedValues(string json, string expected)
    {
        using var dir = new TempDir("def");
        var path = dir.File("def.json");
        await File.WriteAllTextAsync(path, json);

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => DatasetDefinitionLoader.LoadAsync(path, None));

        Assert.Contains(expected, ex.Message);
    }
}

