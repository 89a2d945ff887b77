using System.Security.Cryptography;
using Skillmaker.Blobs;
using Skillmaker.Common;

namespace Skillmaker.Storage.Files;

/// <summary>Blobs as files under <c>root/ab/cd/abcd…</c>. Written to a temporary sibling, flushed,
/// then moved into place without overwriting, so a reader never sees a partial blob.</summary>
public sealed class FileBlobStore : IBlobStore
{
    private readonly string _root;

    public FileBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Location => _root;

    /// <summary>Where the blob lives on disk (whether or not it exists yet).</summary>
    public string PathOf(string sha256)
    {
        if (!Sha256Hex.IsValid(sha256))
            throw new ArgumentException($"'{sha256}' is not a blob name; expected 64 lower-case hex characters.", nameof(sha256));
        return Path.Combine(_root, sha256[..2], sha256[2..4], sha256);
    }

    public Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(sha256)));

    public async Task<bool> PutAsync(string sha256, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256);
        if (File.Exists(path)) return false;
        var actual = Sha256Hex.Of(content.Span);
        if (actual != sha256)
            throw new ArgumentException($"Content hashes to {actual}, not to the blob name {sha256}; nothing was written.", nameof(sha256));

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = AtomicFile.TempSibling(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
            return AtomicFile.MoveIntoPlaceIfAbsent(temp, path);
        }
        catch (Exception ex) when (NoSpaceException.Is(ex))
        {
            throw new NoSpaceException(_root, content.Length, ex);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(sha256, _root);
        }
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != sha256) throw new BlobCorruptException(sha256, actual, _root);
        return bytes;
    }
}
