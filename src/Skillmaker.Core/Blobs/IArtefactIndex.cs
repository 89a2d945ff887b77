namespace Skillmaker.Blobs;

/// <summary>One file published to the blob store under a role: e.g. kind <c>detector</c>, name <c>model</c>;
/// kind <c>gate</c>, name <c>make@3</c>. The bytes live in the blob store under <see cref="Sha256"/>.</summary>
public sealed record ArtefactRecord
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    /// <summary>The file name it was published from (what a person recognises it by).</summary>
    public required string OriginalName { get; init; }
    public required DateTimeOffset PublishedAt { get; init; }
}

/// <summary>The catalog's index of artefacts in the blob store (detector model and class names, gate
/// records, embedding packs): what lets a machine that never saw the original file find it by its
/// role, fetch it and verify it. Rows are only added; the latest publication of a role is the current one.</summary>
public interface IArtefactIndex
{
    /// <summary>Records a publication; publishing the same bytes under the same role again only makes it the latest.</summary>
    Task RecordAsync(ArtefactRecord record, CancellationToken cancellationToken);

    /// <summary>Records many publications in one transaction (e.g. every embedding of a pack).</summary>
    Task RecordManyAsync(IReadOnlyList<ArtefactRecord> records, CancellationToken cancellationToken);

    /// <summary>The latest publication under kind and name, if any.</summary>
    Task<ArtefactRecord?> LatestAsync(string kind, string name, CancellationToken cancellationToken);

    /// <summary>The latest publication of each of <paramref name="names"/> that has one.</summary>
    Task<IReadOnlyDictionary<string, ArtefactRecord>> LatestAsync(string kind, IReadOnlyCollection<string> names, CancellationToken cancellationToken);
}
