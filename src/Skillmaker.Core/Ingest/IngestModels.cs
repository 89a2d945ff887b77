using Skillmaker.Imaging;

namespace Skillmaker.Ingest;

/// <summary>What to ingest and how to read meaning from where the files are.</summary>
public sealed record IngestRequest
{
    /// <summary>Files and folders (folders are walked recursively).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];
    /// <summary>CSV manifests: column <c>path</c>, optional <c>set_id</c>, <c>label</c>, <c>date_taken</c>, <c>source</c>.</summary>
    public IReadOnlyList<string> Manifests { get; init; } = [];
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
    public required string Path { get; init; }
    public required string Source { get; init; }
    public required string Actor { get; init; }
    public string? GivenSetId { get; init; }
    public string? GivenLabel { get; init; }
    public string? GivenDateTaken { get; init; }
}

public sealed record Rejection(string Path, string Reason, RejectCode Code);

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
