using Amazon.Runtime;
using Amazon.S3.Model;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Storage.Files;
using Skillmaker.Storage.S3;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

/// <summary>What every blob store must do, run against each engine.</summary>
public abstract class BlobStoreContract
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected abstract IBlobStore NewStore();

    /// <summary>Replaces a stored blob's bytes behind the store's back.</summary>
    protected abstract Task TamperAsync(IBlobStore store, string sha256, byte[] bytes);

    [Fact]
    public async Task PutAsync_NewContent_StoredUnderItsHashAndReadBack()
    {
        var store = NewStore();
        var bytes = await File.ReadAllBytesAsync(TestAssets.Scene("bus.jpg"));
        var sha = Sha256Hex.Of(bytes);

        Assert.False(await store.ExistsAsync(sha, None));
        Assert.True(await store.PutAsync(sha, bytes, None));
        Assert.False(await store.PutAsync(sha, bytes, None));

        Assert.True(await store.ExistsAsync(sha, None));
        Assert.Equal(bytes, await store.ReadAllBytesAsync(sha, None));
    }

    [Fact]
    public async Task PutAsync_ContentNotMatchingName_ThrowsAndWritesNothing()
    {
        var store = NewStore();
        var wrong = Sha256Hex.Of("other"u8);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(wrong, "content"u8.ToArray(), None));

        Assert.Contains("not to the blob name", ex.Message);
        Assert.False(await store.ExistsAsync(wrong, None));
    }

    [Fact]
    public async Task ReadAllBytesAsync_TamperedBlob_ReportedNotReturned()
    {
        var store = NewStore();
        var bytes = "payload"u8.ToArray();
        var sha = Sha256Hex.Of(bytes);
        await store.PutAsync(sha, bytes, None);
        await TamperAsync(store, sha, "tampered"u8.ToArray());

        var ex = await Assert.ThrowsAsync<BlobCorruptException>(() => store.ReadAllBytesAsync(sha, None));

        Assert.Contains(sha, ex.Message);
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains("not used", ex.Message);
    }

    [Fact]
    public async Task ReadAllBytesAsync_Missing_ThrowsNotFound()
    {
        await Assert.ThrowsAsync<BlobNotFoundException>(() => NewStore().ReadAllBytesAsync(Sha256Hex.Of("x"u8), None));
    }
}

public sealed class FileBlobStoreTests : BlobStoreContract, IDisposable
{
    private readonly TempDir _dir = new("blobs");

    protected override IBlobStore NewStore() => new FileBlobStore(Path.Combine(_dir.Path, Guid.NewGuid().ToString("N")));

    protected override Task TamperAsync(IBlobStore store, string sha256, byte[] bytes) =>
        File.WriteAllBytesAsync(((FileBlobStore)store).PathOf(sha256), bytes);

    [Fact]
    public async Task PutAsync_ExistingBlob_NeverOverwrittenAndNoTempLeft()
    {
        var store = (FileBlobStore)NewStore();
        var bytes = "payload"u8.ToArray();
        var sha = Sha256Hex.Of(bytes);
        await store.PutAsync(sha, bytes, None);
        var written = File.GetLastWriteTimeUtc(store.PathOf(sha));

        await store.PutAsync(sha, bytes, None);

        Assert.Equal(written, File.GetLastWriteTimeUtc(store.PathOf(sha)));
        Assert.Equal(Path.Combine(store.Location, sha[..2], sha[2..4], sha), store.PathOf(sha));
        Assert.Empty(Directory.EnumerateFiles(store.Location, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void PathOf_NotAHash_Throws()
    {
        Assert.Throws<ArgumentException>(() => ((FileBlobStore)NewStore()).PathOf("../../etc/passwd"));
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class S3BlobStoreTests(S3rverFixture s3) : BlobStoreContract, IClassFixture<S3rverFixture>
{
    protected override IBlobStore NewStore() => s3.Store($"t{Guid.NewGuid():N}");

    protected override async Task TamperAsync(IBlobStore store, string sha256, byte[] bytes)
    {
        using var raw = s3.RawClient();
        await raw.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = ((S3BlobStore)store).KeyOf(sha256), InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
    }

    [Fact]
    public async Task PutAsync_WrongCredentials_ClearMessageNamingVariables()
    {
        var store = s3.Store("wrong", accessKey: "nobody", secretKey: "nothing");

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => store.PutAsync(Sha256Hex.Of("x"u8), "x"u8.ToArray(), None));

        Assert.Contains("AWS_ACCESS_KEY_ID", ex.Message);
        Assert.Contains(s3.Endpoint, ex.Message);
    }

    [Fact]
    public async Task ExistsAsync_MissingBucket_SaysWhichBucket()
    {
        var store = new S3BlobStore("s3://no-such-bucket/x", s3.Endpoint, "us-east-1", true, new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey));

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => store.PutAsync(Sha256Hex.Of("x"u8), "x"u8.ToArray(), None));

        Assert.Contains("no-such-bucket", ex.Message);
    }

    [Fact]
    public void ParseLocation_BadLocation_Explains()
    {
        Assert.Equal(("bucket", "a/b/"), S3BlobStore.ParseLocation("s3://bucket/a/b"));
        Assert.Contains("expected s3://bucket/prefix", Assert.Throws<SkillmakerException>(() => S3BlobStore.ParseLocation("/tmp/x")).Message);
    }
}
