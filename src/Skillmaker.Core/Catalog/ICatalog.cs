namespace Skillmaker.Catalog;

/// <summary>The metadata store: every image, where it came from, what is known about it and how.
/// SQLite serves one machine; PostgreSQL (same schema, same behaviour) serves many. Every write method
/// is one transaction: it happens whole or not at all.</summary>
public interface ICatalog : IAsyncDisposable
{
    /// <summary>Human-readable location, e.g. the SQLite file path.</summary>
    string Location { get; }

    /// <summary>Brings the schema up to the newest version; safe to call on every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken);

    Task<bool> ImageExistsAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Ids and perceptual hashes of all images of a kind, for near-duplicate search.</summary>
    Task<IReadOnlyList<(string ImageId, ulong PerceptualHash)>> GetPerceptualHashesAsync(ImageKind kind, CancellationToken cancellationToken);

    /// <summary>Records one ingested file atomically; see <see cref="IngestWrite"/>.</summary>
    Task<IngestWriteResult> RecordIngestAsync(IngestWrite write, CancellationToken cancellationToken);

    /// <summary>Records many ingested files in one transaction, for writers on many machines at once. The
    /// writes' own near-duplicate links are ignored: links are found inside the transaction, under a lock,
    /// against every image committed before (and earlier writes of the batch), so concurrent batches link
    /// exactly as one writer would. <paramref name="complete"/> turns the outcomes into the batch's job
    /// result, recorded in the job ledger in the same transaction: a batch and its result commit together.</summary>
    Task<IReadOnlyList<IngestWriteResult>> RecordIngestBatchAsync(IReadOnlyList<IngestWrite> writes, int nearDuplicateMaxDistance,
        Func<IReadOnlyList<IngestWriteResult>, Jobs.BatchCompletion>? complete, CancellationToken cancellationToken);

    Task<ImageDetails?> GetImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Finds images whose id starts with <paramref name="prefix"/> (at most a few).</summary>
    Task<IReadOnlyList<string>> FindImageIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<ImageSummary>> ListImagesAsync(ImageQuery query, CancellationToken cancellationToken);

    Task<CatalogCounts> CountAsync(CancellationToken cancellationToken);

    Task StartIngestRunAsync(IngestRun run, CancellationToken cancellationToken);

    Task FinishIngestRunAsync(IngestRunResult result, CancellationToken cancellationToken);

    Task<IReadOnlyList<IngestRunResult>> ListIngestRunsAsync(CancellationToken cancellationToken);
}

public sealed record CatalogCounts(int Originals, int Crops, int Occurrences, int NearDuplicateLinks, int NearDuplicateClusters);

/// <summary>Everything one ingested file adds. When the image already exists, only the occurrence,
/// fields and hints that are new are added; near-duplicate links join clusters.</summary>
public sealed record IngestWrite
{
    public required string ImageId { get; init; }
    /// <summary>The measured record when the bytes were not known when the file was read; null for a
    /// file whose bytes were already in the catalog.</summary>
    public ImageRecord? NewImage { get; init; }
    public required ImageOccurrence Occurrence { get; init; }
    public IReadOnlyList<FieldValue> Fields { get; init; } = [];
    public IReadOnlyList<LabelRecord> Labels { get; init; } = [];
    public IReadOnlyList<NearDuplicateLink> NearDuplicates { get; init; } = [];
}

public enum IngestWriteOutcome
{
    /// <summary>A new image.</summary>
    Added,
    /// <summary>The bytes were known; a new source or path was recorded for them.</summary>
    DuplicateNewOccurrence,
    /// <summary>The bytes and this exact source and path were known: nothing changed.</summary>
    AlreadyKnown,
}

public sealed record IngestWriteResult(IngestWriteOutcome Outcome, int NearDuplicatesLinked)
{
    /// <summary>The links the write added (filled by batch writes, which find them themselves).</summary>
    public IReadOnlyList<NearDuplicateLink> Links { get; init; } = [];
}

public sealed record IngestRun(string RunId, string Source, DateTimeOffset StartedAt, IReadOnlyList<string> Inputs);

public enum IngestRunStatus { Running, Completed, Interrupted, Failed }

public sealed record IngestRunResult
{
    public required string RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required IngestRunStatus Status { get; init; }
    public int Added { get; init; }
    public int Duplicates { get; init; }
    public int NearDuplicates { get; init; }
    public IReadOnlyList<Rejection> Rejected { get; init; } = [];
}

/// <summary>A file an ingest run refused, and why.</summary>
public sealed record Rejection(string Path, string Reason, Imaging.RejectCode Code);
