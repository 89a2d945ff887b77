using Skillmaker.Common;
using Skillmaker.Jobs;

namespace Skillmaker.Blobs;

/// <summary>Files by content address for every machine of a shared workspace: a local file is published
/// once (its bytes to the blob store under their SHA-256, its role, size and name to the catalog's
/// artefact index), and any machine resolves the role to a verified copy in its own cache folder. A path
/// in a config is only where the first publication reads from, never a requirement on other machines.</summary>
public sealed class Artefacts(IBlobStore blobs, IArtefactIndex index, BlobFileCache cache, string catalogLocation, TimeProvider time)
{
    public const string DetectorKind = "detector";
    public const string DetectorModel = "model";
    /// <summary>A detector's class names file, named by the model's SHA-256 it was used with.</summary>
    public const string DetectorLabelsKind = "detector-labels";

    public IArtefactIndex Index { get; } = index;
    public BlobFileCache Cache { get; } = cache;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Puts bytes into the blob store (unless there) without recording a role.</summary>
    public async Task PutAsync(string sha256, byte[] content, CancellationToken cancellationToken)
    {
        if (!await blobs.ExistsAsync(sha256, cancellationToken)) await blobs.PutAsync(sha256, content, cancellationToken);
    }

    /// <summary>Publishes <paramref name="path"/> under kind and name; returns its record.</summary>
    public async Task<ArtefactRecord> PublishFileAsync(string kind, string name, string path, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        return await PublishAsync(kind, name, Path.GetFileName(path), bytes, cancellationToken);
    }

    /// <summary>Publishes <paramref name="content"/> under kind and name; returns its record.</summary>
    public async Task<ArtefactRecord> PublishAsync(string kind, string name, string originalName, byte[] content, CancellationToken cancellationToken)
    {
        var sha = Sha256Hex.Of(content);
        if (!await blobs.ExistsAsync(sha, cancellationToken)) await blobs.PutAsync(sha, content, cancellationToken);
        var record = new ArtefactRecord { Kind = kind, Name = name, Sha256 = sha, Size = content.Length, OriginalName = originalName, PublishedAt = time.GetUtcNow() };
        await Index.RecordAsync(record, cancellationToken);
        return record;
    }

    /// <summary>The latest publication of kind and name as a verified file in this machine's cache, or null
    /// when none was published. Throws, naming the artefact, its SHA-256 and where it looked, when the
    /// catalog knows it but the blob store has lost it.</summary>
    public async Task<(ArtefactRecord Record, string Path)?> ResolveAsync(string kind, string name, CancellationToken cancellationToken)
    {
        if (await Index.LatestAsync(kind, name, cancellationToken) is not { } record) return null;
        return (record, await FetchAsync(record, cancellationToken));
    }

    /// <summary>The bytes of a published artefact, verified.</summary>
    public async Task<byte[]> ReadAsync(ArtefactRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return await blobs.ReadAllBytesAsync(record.Sha256, cancellationToken);
        }
        catch (BlobNotFoundException ex)
        {
            throw Missing(record, ex);
        }
    }

    /// <summary>A published artefact as a file in the cache, fetched and verified the first time.</summary>
    public async Task<string> FetchAsync(ArtefactRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return await Cache.GetAsync(record.Sha256, Path.GetExtension(record.OriginalName), cancellationToken);
        }
        catch (BlobNotFoundException ex)
        {
            throw Missing(record, ex);
        }
    }

    private SkillmakerException Missing(ArtefactRecord record, BlobNotFoundException ex) => new(
        $"The {record.Kind} {record.Name} '{record.OriginalName}' (sha256 {record.Sha256}, {record.Size} bytes, published {record.PublishedAt:u}) is recorded in the catalog at {catalogLocation} " +
        $"but is in neither the blob store at {blobs.Location} nor this machine's cache {Cache.Directory}. Publish it again from a machine that has the file.", ex);
}
