using Dapper;
using Skillmaker.Blobs;

namespace Skillmaker.Storage;

/// <summary>The artefact index in the catalog's database (SQLite or PostgreSQL).</summary>
public sealed class SqlArtefactIndex(SqlCatalog catalog) : IArtefactIndex
{
    private const string Columns = "kind, name, sha256, size, original_name, published_at";

    private const string Upsert = $"INSERT INTO artefacts ({Columns}) VALUES (@Kind, @Name, @Sha256, @Size, @OriginalName, @at) " +
        "ON CONFLICT (kind, name, sha256) DO UPDATE SET published_at = excluded.published_at, original_name = excluded.original_name";

    public Task RecordAsync(ArtefactRecord record, CancellationToken cancellationToken) => RecordManyAsync([record], cancellationToken);

    public async Task RecordManyAsync(IReadOnlyList<ArtefactRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0) return;
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Upsert,
            records.Select(r => new { r.Kind, r.Name, r.Sha256, r.Size, r.OriginalName, at = SqlCatalog.Iso(r.PublishedAt) }), tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<ArtefactRecord?> LatestAsync(string kind, string name, CancellationToken cancellationToken) =>
        (await LatestAsync(kind, [name], cancellationToken)).GetValueOrDefault(name);

    public async Task<IReadOnlyDictionary<string, ArtefactRecord>> LatestAsync(string kind, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ArtefactRecord>(StringComparer.Ordinal);
        if (names.Count == 0) return found;
        await using var connection = await catalog.OpenAsync(cancellationToken);
        foreach (var chunk in names.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM artefacts WHERE kind = @kind AND {catalog.In("name", "names")} ORDER BY published_at, sha256",
                new { kind, names = chunk }, cancellationToken: cancellationToken));
            // Ordered oldest first: the last row of a name is its latest publication.
            foreach (var row in rows) found[row.name] = row.ToRecord();
        }
        return found;
    }

    private sealed record Row(string kind, string name, string sha256, long size, string original_name, string published_at)
    {
        public ArtefactRecord ToRecord() => new()
        {
            Kind = kind, Name = name, Sha256 = sha256, Size = size, OriginalName = original_name,
            PublishedAt = DateTimeOffset.Parse(published_at, System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
