using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Storage.Files;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

public sealed class FileBlobStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task PutAsync_NewContent_StoredUnderItsHashAndReadBack()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);
        var bytes = await File.ReadAllBytesAsync(TestAssets.Scene("bus.jpg"));
        var sha = Sha256Hex.Of(bytes);

        Assert.True(await store.PutAsync(sha, bytes, None));
        Assert.False(await store.PutAsync(sha, bytes, None));

        Assert.Equal(bytes, await store.ReadAllBytesAsync(sha, None));
        Assert.Equal(Path.Combine(dir.Path, sha[..2], sha[2..4], sha), store.PathOf(sha));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_ContentNotMatchingName_ThrowsAndWritesNothing()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);
        var wrong = Sha256Hex.Of("other"u8);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(wrong, "content"u8.ToArray(), None));

        Assert.Contains("not to the blob name", ex.Message);
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_ExistingBlob_NeverOverwritten()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);
        var bytes = "payload"u8.ToArray();
        var sha = Sha256Hex.Of(bytes);
        await store.PutAsync(sha, bytes, None);
        var written = File.GetLastWriteTimeUtc(store.PathOf(sha));

        await store.PutAsync(sha, bytes, None);

        Assert.Equal(written, File.GetLastWriteTimeUtc(store.PathOf(sha)));
    }

    [Fact]
    public async Task ReadAllBytesAsync_CorruptedBlob_ReportedNotReturned()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);
        var bytes = "payload"u8.ToArray();
        var sha = Sha256Hex.Of(bytes);
        await store.PutAsync(sha, bytes, None);
        await File.WriteAllTextAsync(store.PathOf(sha), "tampered");

        var ex = await Assert.ThrowsAsync<BlobCorruptException>(() => store.ReadAllBytesAsync(sha, None));

        Assert.Contains(sha, ex.Message);
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public async Task ReadAllBytesAsync_Missing_ThrowsNotFound()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);

        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.ReadAllBytesAsync(Sha256Hex.Of("x"u8), None));
    }

    [Fact]
    public void PathOf_NotAHash_Throws()
    {
        using var dir = new TempDir("blobs");
        var store = new FileBlobStore(dir.Path);

        Assert.Throws<ArgumentException>(() => store.PathOf("../../etc/passwd"));
    }
}
