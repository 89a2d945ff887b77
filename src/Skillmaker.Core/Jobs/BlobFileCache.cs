using Skillmaker.Blobs;
using Skillmaker.Common;

namespace Skillmaker.Jobs;

/// <summary>Files every worker of a run needs (a detector, a backbone, class names), passed through the
/// blob store so workers need no shared folder: the command stages them under their SHA-256, and each
/// worker fetches them once (the store verifies the hash) into a local folder.</summary>
public sealed class BlobFileCache(IBlobStore blobs, string? directory = null)
{
    /// <summary>Where workers keep fetched files unless told otherwise.</summary>
    public static string DefaultDirectory => Path.Combine(Path.GetTempPath(), "skillmaker-models");

    public string Directory { get; } = directory ?? DefaultDirectory;

    /// <summary>Puts <paramref name="path"/> into the blob store and returns its id. Throws when its bytes
    /// no longer hash to <paramref name="expectedSha256"/> (the file changed since it was checked).</summary>
    public static async Task<string> StageAsync(IBlobStore blobs, string path, string? expectedSha256, string what, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var id = Sha256Hex.Of(bytes);
        if (expectedSha256 is not null && id != expectedSha256)
            throw new SkillmakerException($"{what} {path} changed while the run was starting (its SHA-256 is no longer {expectedSha256[..12]}); run the command again.");
        await blobs.PutAsync(id, bytes, cancellationToken);
        return id;
    }

    /// <summary>The local copy of <paramref name="blobId"/>, fetched the first time (the store verifies the
    /// hash). A cached copy is hashed again before it is used: one altered on disk is fetched anew.</summary>
    public async Task<string> GetAsync(string blobId, string extension, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, blobId + extension);
        if (File.Exists(path) && await Sha256Hex.OfFileAsync(path, cancellationToken) == blobId) return path;
        System.IO.Directory.CreateDirectory(Directory);
        await AtomicFile.WriteAllBytesAsync(path, await blobs.ReadAllBytesAsync(blobId, cancellationToken), cancellationToken);
        return path;
    }
}
