using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Vision.Embeddings;

namespace Skillmaker.Training;

/// <summary>The embedding index every machine of a shared workspace uses: embedding key → the pack (in the
/// blob store) that holds its vector, in the catalog's artefact index (kind <c>embedding</c>). Before
/// embedding, a machine copies into its own cache what any machine already computed; after, it publishes
/// what it computed as one pack. So no machine computes an embedding another already has (two machines
/// working at the same moment on the same images may still both compute them: the index is filled when a
/// batch is done).</summary>
public sealed partial class SharedEmbeddings(Artefacts artefacts, ILogger<SharedEmbeddings> logger)
{
    public const string Kind = "embedding";

    /// <summary>What <see cref="ImportAsync"/> did: vectors copied in from packs, and the keys still missing here.</summary>
    public sealed record Imported(int Vectors, int Packs, IReadOnlyList<EmbeddingKey> Missing);

    public static string NameOf(EmbeddingKey key) => $"{key.ImageId}/{key.BackboneSha256}/{key.PreprocessingHash}/{key.Variant}";

    /// <summary>Copies the vectors of <paramref name="keys"/> that this cache lacks and another machine
    /// published into <paramref name="cache"/> (each pack verified by its hash).</summary>
    public async Task<Imported> ImportAsync(EmbeddingCache cache, IEnumerable<EmbeddingKey> keys, int dimension, CancellationToken cancellationToken)
    {
        var missing = keys.Distinct().Where(k => !cache.Contains(k)).ToList();
        if (missing.Count == 0) return new Imported(0, 0, []);
        var wanted = missing.ToDictionary(NameOf);
        var found = await artefacts.Index.LatestAsync(Kind, wanted.Keys, cancellationToken);
        var (vectors, packs) = (0, 0);
        foreach (var pack in found.Values.GroupBy(r => r.Sha256))
        {
            var (_, _, entries) = EmbeddingPack.Read(await artefacts.ReadAsync(pack.First(), cancellationToken), $"embedding pack {pack.Key[..12]}");
            packs++;
            foreach (var (key, vector) in entries)
                if (vector.Length == dimension && wanted.ContainsKey(NameOf(key)) && !cache.Contains(key))
                {
                    cache.Write(key, vector);
                    vectors++;
                }
        }
        if (vectors > 0) LogImported(vectors, packs, missing.Count);
        return new Imported(vectors, packs, [.. missing.Where(k => !cache.Contains(k))]);
    }

    /// <summary>Publishes the vectors of <paramref name="keys"/> (now in <paramref name="cache"/>) as packs,
    /// one per backbone and preprocessing, and records every key.</summary>
    public async Task PublishAsync(EmbeddingCache cache, IReadOnlyList<EmbeddingKey> keys, int dimension, CancellationToken cancellationToken)
    {
        foreach (var group in keys.Distinct().GroupBy(k => (k.BackboneSha256, k.PreprocessingHash)))
        {
            var entries = new List<(EmbeddingKey Key, float[] Vector)>();
            foreach (var key in group)
                if (cache.TryRead(key, dimension, out var vector)) entries.Add((key, vector));
            if (entries.Count == 0) continue;
            var pack = EmbeddingPack.Write(group.Key.BackboneSha256, group.Key.PreprocessingHash, dimension, entries);
            var id = Common.Sha256Hex.Of(pack);
            await artefacts.PutAsync(id, pack, cancellationToken);
            await RecordAsync(id, pack.LongLength, [.. entries.Select(e => e.Key)], cancellationToken);
        }
    }

    /// <summary>Records that the pack <paramref name="packSha256"/> (already in the blob store) holds <paramref name="keys"/>.</summary>
    public async Task RecordAsync(string packSha256, long size, IReadOnlyList<EmbeddingKey> keys, CancellationToken cancellationToken)
    {
        var at = artefacts.Now;
        await artefacts.Index.RecordManyAsync([.. keys.Select(k => new ArtefactRecord
        {
            Kind = Kind, Name = NameOf(k), Sha256 = packSha256, Size = size, OriginalName = $"{packSha256[..12]}.embpack", PublishedAt = at,
        })], cancellationToken);
        LogPublished(keys.Count, packSha256[..12]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Vectors} of {Missing} missing embeddings taken from {Packs} pack(s) other machines published")]
    private partial void LogImported(int vectors, int packs, int missing);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} embeddings published in pack {Pack}")]
    private partial void LogPublished(int count, string pack);
}
