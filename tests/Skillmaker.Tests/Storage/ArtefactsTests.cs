using Microsoft.Extensions.Time.Testing;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

/// <summary>The artefact index and files by content address, run against every catalog engine.</summary>
public abstract class ArtefactsContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task ResolveAsync_PublishedOnOneMachine_OtherMachineGetsVerifiedCopyOfTheLatest()
    {
        await using var ws = await CreateWorkspaceAsync();
        using var here = new TempDir("here");
        using var there = new TempDir("there");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        var index = WorkspaceStorage.ArtefactIndex(ws.Catalog);
        var publisher = new Artefacts(ws.Blobs, index, new BlobFileCache(ws.Blobs, here.Path), ws.Catalog.Location, time);
        var reader = new Artefacts(ws.Blobs, index, new BlobFileCache(ws.Blobs, there.Path), ws.Catalog.Location, time);
        var (v1, v2) = (Path.Combine(here.Path, "old.onnx"), Path.Combine(here.Path, "new.onnx"));
        await File.WriteAllBytesAsync(v1, [1, 2, 3]);
        await File.WriteAllBytesAsync(v2, [4, 5, 6, 7]);

        Assert.Null(await reader.ResolveAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, None));
        var first = await publisher.PublishFileAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, v1, None);
        time.Advance(TimeSpan.FromMinutes(1));
        var second = await publisher.PublishFileAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, v2, None);
        var (record, path) = (await reader.ResolveAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, None))!.Value;

        Assert.Equal((second.Sha256, 4L, "new.onnx"), (record.Sha256, record.Size, record.OriginalName));
        Assert.Equal(Path.Combine(there.Path, second.Sha256 + ".onnx"), path);
        Assert.Equal([4, 5, 6, 7], await File.ReadAllBytesAsync(path));
        // The old model published again becomes the latest; a copy altered on disk is fetched anew.
        time.Advance(TimeSpan.FromMinutes(1));
        await publisher.PublishFileAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, v1, None);
        var again = (await reader.ResolveAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, None))!.Value;
        Assert.Equal(first.Sha256, again.Record.Sha256);
        await File.WriteAllBytesAsync(again.Path, [9, 9, 9]);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync((await reader.ResolveAsync(Artefacts.DetectorKind, Artefacts.DetectorModel, None))!.Value.Path));
    }

    [Fact]
    public async Task ResolveAsync_RecordedButBlobLost_ErrorNamesArtefactShaAndPlaces()
    {
        await using var ws = await CreateWorkspaceAsync();
        using var cache = new TempDir("cache");
        var index = WorkspaceStorage.ArtefactIndex(ws.Catalog);
        var sha = Sha256Hex.Of([42]);
        await index.RecordAsync(new ArtefactRecord { Kind = "detector", Name = "model", Sha256 = sha, Size = 1, OriginalName = "yolo.onnx", PublishedAt = DateTimeOffset.UnixEpoch }, None);
        var artefacts = new Artefacts(ws.Blobs, index, new BlobFileCache(ws.Blobs, cache.Path), ws.Catalog.Location, TimeProvider.System);

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => artefacts.ResolveAsync("detector", "model", None));

        Assert.Contains($"'yolo.onnx' (sha256 {sha}", ex.Message);
        Assert.Contains(ws.Blobs.Location, ex.Message);
        Assert.Contains(cache.Path, ex.Message);
    }
}

public sealed class ArtefactsTests : ArtefactsContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class ArtefactsOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : ArtefactsContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.OnPostgresAsync(postgres, s3);
}
