using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skillmaker.Workspaces;

/// <summary>The workspace's settings, stored in <c>.skillmaker/config.json</c>. Written once by
/// <c>skillmaker init</c>; edit by hand to point at other engines or models.</summary>
public sealed record WorkspaceConfig
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Seed for everything random in this workspace (split assignment, augmentation,
    /// sampling), drawn once at init so that two workspaces differ but one workspace repeats itself.</summary>
    public required long Seed { get; init; }

    /// <summary>Catalog location. Default <c>sqlite:catalog.db</c> (relative to <c>.skillmaker/</c>).</summary>
    public string Catalog { get; init; } = "sqlite:catalog.db";

    /// <summary>Blob store location. Default <c>blobs</c>, a folder relative to <c>.skillmaker/</c>.</summary>
    public string Blobs { get; init; } = "blobs";

    public IngestSettings Ingest { get; init; } = new();

    /// <summary>S3 connection for <c>blobs: s3://bucket/prefix</c>. Credentials never live here: they
    /// come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.</summary>
    public S3Settings? S3 { get; init; }

    public Detection.DetectorSettings Detector { get; init; } = new();

    /// <summary>Server mode: where batch jobs wait for <c>skillmaker worker</c>. Default null (no jobs).</summary>
    public Jobs.JobsSettings? Jobs { get; init; }

    /// <summary>Downloads and crawling: timeouts, retries, sizes, politeness.</summary>
    public Sources.SourceSettings Sources { get; init; } = new();

    /// <summary>Sections this version does not know are kept as they are.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>Ingest limits and thresholds.</summary>
public sealed record IngestSettings
{
    /// <summary>Two images whose perceptual hashes differ in at most this many of 64 bits are linked as
    /// near-duplicates. Default 6.</summary>
    public int NearDuplicateMaxDistance { get; init; } = 6;

    /// <summary>Largest accepted width × height (decompression bombs). Default 64 megapixels.</summary>
    public long MaxPixels { get; init; } = 64_000_000;

    /// <summary>Largest accepted file. Default 256 MiB.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Files probed at once. Default 0 = one per core.</summary>
    public int Parallelism { get; init; }
}

public sealed record S3Settings
{
    /// <summary>Endpoint URL for S3-compatible servers (MinIO, s3rver, Ceph). Default: AWS, or
    /// $SKILLMAKER_S3_ENDPOINT.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Region. Default us-east-1, or $AWS_REGION.</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (bucket in the path), which S3-compatible servers need. Default:
    /// true when an endpoint is set.</summary>
    public bool? ForcePathStyle { get; init; }
}

public static class WorkspaceJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
