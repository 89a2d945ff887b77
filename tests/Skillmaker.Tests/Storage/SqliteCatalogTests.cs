using Dapper;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

/// <summary>What every catalog engine must do.</summary>
public abstract class CatalogContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task MigrateAsync_Twice_AppliesEachStepOnce()
    {
        await using var ws = await CreateWorkspaceAsync();
        var catalog = (SqlCatalog)ws.Catalog;

        await catalog.MigrateAsync(None);

        Assert.Equal(1, await catalog.GetSchemaVersionAsync(None));
        await using var connection = await catalog.OpenAsync(None);
        Assert.Equal(catalog.Database.Modules.Sum(m => m.Steps.Count), await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_CatalogFromNewerSkillmaker_RefusesClearly()
    {
        await using var ws = await CreateWorkspaceAsync();
        await using (var connection = await ((SqlCatalog)ws.Catalog).OpenAsync(None))
            await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES ('catalog', 99, 'future', '2030-01-01')");

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => WorkspaceStorage.OpenCatalogAsync(ws.Workspace, None));

        Assert.Contains("v99", ex.Message);
    }

    [Fact]
    public async Task RecordIngestAsync_DuplicateWithoutMeasuredRecord_FailsWholeWithoutPartialRows()
    {
        await using var ws = await CreateWorkspaceAsync();
        var id = Sha256Hex.Of("never ingested"u8);
        var write = new IngestWrite
        {
            ImageId = id,
            Occurrence = new ImageOccurrence { ImageId = id, Source = "s", OriginalPath = "/x.jpg", OriginalFileName = "x.jpg", RunId = "r", SeenAt = DateTimeOffset.UnixEpoch },
        };

        await Assert.ThrowsAsync<InvalidOperationException>(() => ws.Catalog.RecordIngestAsync(write, None));

        Assert.Equal(0, (await ws.Catalog.CountAsync(None)).Occurrences);
    }

    [Fact]
    public async Task RecordIngestAsync_NearDuplicateChain_MergesIntoOneClusterNamedBySmallestId()
    {
        await using var ws = await CreateWorkspaceAsync();
        var ids = new[] { "c", "a", "b" }.Select(s => Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(s))).ToArray();
        // ids[0] alone, ids[1] linked to ids[0], ids[2] linked to ids[1]: a chain becomes one cluster.
        await ws.Catalog.RecordIngestAsync(Write(ids[0], []), None);
        await ws.Catalog.RecordIngestAsync(Write(ids[1], [new NearDuplicateLink(ids[1], ids[0], 3)]), None);
        await ws.Catalog.RecordIngestAsync(Write(ids[2], [new NearDuplicateLink(ids[2], ids[1], 2)]), None);

        var clusters = new List<string?>();
        foreach (var id in ids) clusters.Add((await ws.Catalog.GetImageAsync(id, None))!.NearDuplicateClusterId);
        Assert.Single(clusters.Distinct());
        Assert.Equal(ids.Min(StringComparer.Ordinal), clusters[0]);
        var counts = await ws.Catalog.CountAsync(None);
        Assert.Equal((2, 1), (counts.NearDuplicateLinks, counts.NearDuplicateClusters));

        static IngestWrite Write(string id, IReadOnlyList<NearDuplicateLink> links) => new()
        {
            ImageId = id,
            NewImage = new ImageRecord
            {
                Id = id, Kind = ImageKind.Original, ByteSize = 1, Format = "jpeg", Width = 1, Height = 1, ExifOrientation = 1,
                PerceptualHash = 0, IngestedAt = DateTimeOffset.UnixEpoch,
            },
            Occurrence = new ImageOccurrence { ImageId = id, Source = "s", OriginalPath = $"/{id}.jpg", OriginalFileName = "x.jpg", RunId = "r", SeenAt = DateTimeOffset.UnixEpoch },
            NearDuplicates = links,
        };
    }
}

public sealed class SqliteCatalogTests : CatalogContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same catalog behaviour on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresCatalogTests(PostgresFixture postgres) : CatalogContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
}
