using Skillmaker.Imaging;
using Skillmaker.Catalog;

namespace Skillmaker.Ingest;

/// <summary>What to ingest and how to read meaning from where the files are.</summary>
public sealed record IngestRequest
{
    /// <summary>Files and folders (folders are walked recursively).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];
    /// <summary>CSV manifests: column <c>path</c>, optional <c>set_id</c>, <c>label</c>, <c>date_taken</c>, <c>source</c>.</summary>
    public IReadOnlyList<string> Manifests { get; init; } = [];
    /// <summary>Folders a manifest's paths may point into besides the manifest's own folder (and its
    /// subfolders); a path elsewhere, or a link leading elsewhere, is rejected.</summary>
    public IReadOnlyList<string> ManifestRoots { get; init; } = [];
    /// <summary>Name of the source, e.g. "staff-phones" or "stanford-cars".</summary>
    public required string Source { get; init; }
    /// <summary>Use a file's parent folder name as its label hint.</summary>
    public bool LabelsFromFolders { get; init; }
    /// <summary>Photos in one folder are one set (the same vehicle).</summary>
    public bool SetsFromFolders { get; init; }
}

/// <summary>One file to ingest, with what its source says about it.</summary>
public sealed record IngestItem
{
    /// <summary>Absolute path of a local file, or the URL a download came from.</summary>
    public required string Path { get; init; }
    public required string Source { get; init; }
    /// <summary>Who says what the item's fields say, e.g. <c>manifest:/data/list.csv</c> or <c>crawl:PAGE-URL</c>.</summary>
    public required string Actor { get; init; }
    /// <summary>Recorded as the occurrence's file name; default: the last part of <see cref="Path"/>.</summary>
    public string? FileName { get; init; }
    public string? GivenSetId { get; init; }
    public string? GivenLabel { get; init; }
    /// <summary>Who says the label, when it is not <see cref="Actor"/> (e.g. a crawl's CSS selector).</summary>
    public string? LabelActor { get; init; }
    public string? GivenDateTaken { get; init; }
    /// <summary>Other fields the source states (e.g. <c>listing_url</c>), recorded with provenance source.</summary>
    public IReadOnlyDictionary<string, string> GivenFields { get; init; } = new Dictionary<string, string>();
}

public enum IngestItemStatus
{
    Added,
    /// <summary>The bytes were already in the catalog; this source or path was recorded for them.</summary>
    Duplicate,
    Rejected,
}

/// <summary>What became of one item once it was recorded (or refused).</summary>
public sealed record IngestItemOutcome(string Path, IngestItemStatus Status, string? ImageId, RejectReason? Rejection);

public sealed record NearDuplicatePair(string ImageId, string OtherImageId, int Distance);

/// <summary>What an ingest run did. <see cref="Rejected"/> is sorted by path.</summary>
public sealed record IngestSummary
{
    public required string RunId { get; init; }
    public required string Source { get; init; }
    public int Added { get; init; }
    /// <summary>Files whose bytes were already in the catalog (from this or an earlier run).</summary>
    public int Duplicates { get; init; }
    /// <summary>Images added in this run that were linked to at least one near-duplicate.</summary>
    public int NearDuplicates { get; init; }
    public IReadOnlyList<NearDuplicatePair> NearDuplicatePairs { get; init; } = [];
    public IReadOnlyList<Rejection> Rejected { get; init; } = [];
    /// <summary>Files in scanned folders that do not have an image extension (e.g. labels.csv).</summary>
    public int Ignored { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public bool Interrupted { get; init; }
    public int Total => Added + Duplicates + Rejected.Count;
}

public readonly record struct IngestProgress(int Completed, int Total, string? CurrentPath);
