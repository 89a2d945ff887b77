using Microsoft.Data.Sqlite;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Storage.Sqlite;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

public sealed class SqliteCatalogTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task MigrateAsync_Twice_AppliesEachStepOnce()
    {
        using var dir = new TempDir("catalog");
        var path = Path.Combine(dir.Path, "catalog.db");
        await using (var catalog = new SqliteCatalog(path))
        {
            await catalog.MigrateAsync(None);
            await catalog.MigrateAsync(None);
            Assert.Equal(1, await catalog.GetSchemaVersionAsync(None));
        }

        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM schema_migrations";
        Assert.Equal((long)SqliteSchema.Modules.Sum(m => m.Steps.Count), (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task MigrateAsync_CatalogFromNewerSkillmaker_RefusesClearly()
    {
        using var dir = new TempDir("catalog");
        var path = Path.Combine(dir.Path, "catalog.db");
        await using (var catalog = new SqliteCatalog(path)) await catalog.MigrateAsync(None);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations VALUES ('catalog', 99, 'future', '2030-01-01')";
            await command.ExecuteNonQueryAsync();
        }

        await using var newer = new SqliteCatalog(path);
        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => newer.MigrateAsync(None));
        Assert.Contains("v99", ex.Message);
    }

    [Fact]
    public async Task RecordIngestAsync_DuplicateWithoutMeasuredRecord_FailsWholeWithoutPartialRows()
    {
        await using var ws = await TestWorkspace.CreateAsync();
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
        await using var ws = await TestWorkspace.CreateAsync();
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
