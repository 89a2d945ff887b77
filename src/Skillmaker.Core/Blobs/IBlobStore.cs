namespace Skillmaker.Blobs;

/// <summary>Content-addressed bytes: a blob's name is the SHA-256 of its content, so a write never
/// changes what an existing name means. The file system implementation serves one machine; an S3
/// implementation serves many.</summary>
public interface IBlobStore
{
    /// <summary>Human-readable location, e.g. a folder path or s3://bucket/prefix.</summary>
    string Location { get; }

    Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="content"/> under its hash. Verifies that the content hashes to
    /// <paramref name="sha256"/>; writes atomically; never overwrites. Returns false when the blob was
    /// already there.</summary>
    Task<bool> PutAsync(string sha256, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Reads a whole blob and verifies its hash; throws <see cref="BlobCorruptException"/> when
    /// the stored bytes do not match their name, and <see cref="BlobNotFoundException"/> when absent.</summary>
    Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken);
}

public sealed class BlobNotFoundException(string sha256, string location)
    : Common.SkillmakerException($"Blob {sha256} is not in the blob store at {location}.")
{
    public string Sha256 { get; } = sha256;
}

public sealed class BlobCorruptException(string sha256, string actual, string location)
    : Common.SkillmakerException($"Blob {sha256} in {location} is corrupt: its content hashes to {actual}. It was not used.")
{
    public string Sha256 { get; } = sha256;
}
