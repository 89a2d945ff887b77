using Skillmaker.Catalog;

namespace Skillmaker.Datasets;

public sealed record ManifestInfo(string Id, string Name, DateTimeOffset CreatedAt, int Items, int Train, int Test, int Classes);

/// <summary>Dataset data: candidates drawn from the catalog, the append-only split ledger and the
/// immutable manifests. SQLite now; PostgreSQL as a second implementation.</summary>
public interface IDatasetStore
{
    Task<IReadOnlyList<DatasetCandidate>> GetCandidatesAsync(ImageKind kind, CancellationToken cancellationToken);

    /// <summary>The ledger in the order it was written.</summary>
    Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(CancellationToken cancellationToken);

    /// <summary>Images that were test in any manifest.</summary>
    Task<IReadOnlySet<string>> GetImagesEverInTestAsync(CancellationToken cancellationToken);

    /// <summary>Stores a manifest and its new ledger entries in one transaction. Returns false when a
    /// manifest with this id already existed (nothing is written then).</summary>
    Task<bool> SaveManifestAsync(DatasetManifest manifest, IReadOnlyList<LedgerEntry> newEntries, CancellationToken cancellationToken);

    /// <summary>By id or unique id prefix.</summary>
    Task<DatasetManifest?> GetManifestAsync(string idOrPrefix, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<IReadOnlyList<DatasetManifest>> GetAllManifestsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ManifestInfo>> ListManifestsAsync(CancellationToken cancellationToken);
}
