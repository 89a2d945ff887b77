using Skillmaker.Common;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Storage;

/// <summary>The shared skill index, run against every catalog engine.</summary>
public abstract class SkillIndexContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset At = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ReserveAsync_SameOwnerTwice_SameVersionOtherOwnersNext()
    {
        await using var ws = await CreateWorkspaceAsync();
        var index = WorkspaceStorage.SkillIndex(ws.Catalog);

        var first = await index.ReserveAsync("makes", "train-1/0", 1, At, None);
        var retried = await index.ReserveAsync("makes", "train-1/0", 1, At.AddMinutes(5), None);
        var second = await index.ReserveAsync("makes", "train-2/0", 1, At, None);
        var floor = await index.ReserveAsync("makes", "laptop:abc", 7, At, None);
        var other = await index.ReserveAsync("variants", "train-2/1", 1, At, None);

        Assert.Equal((1, 1, 2, 7, 1), (first.Version, retried.Version, second.Version, floor.Version, other.Version));
        Assert.Equal(At, retried.ReservedAt);
        Assert.Empty(await index.ListPublishedAsync(null, None));
        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => index.ReserveAsync("variants", "train-1/0", 1, At, None));
        Assert.Contains("train-1/0 already holds makes@1", ex.Message);
    }

    [Fact]
    public async Task ReserveAsync_ConcurrentOwners_EachGetsAnotherVersion()
    {
        await using var ws = await CreateWorkspaceAsync();
        var index = WorkspaceStorage.SkillIndex(ws.Catalog);

        var versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => index.ReserveAsync("makes", $"machine-{i}", 1, At, None))));

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Version).Order());
    }

    [Fact]
    public async Task PublishAsync_OnceThenSameAgain_ListedOnceOtherFilesRefused()
    {
        await using var ws = await CreateWorkspaceAsync();
        var index = WorkspaceStorage.SkillIndex(ws.Catalog);
        await index.ReserveAsync("makes", "train-1/0", 1, At, None);
        await index.ReserveAsync("makes", "train-1/1", 1, At, None);
        var files = new Dictionary<string, string> { ["skill.json"] = new string('a', 64), ["head.zip"] = new string('b', 64) };

        await index.PublishAsync("makes", 1, "train-1/0", files, At.AddMinutes(1), None);
        await index.PublishAsync("makes", 1, "train-1/0", new Dictionary<string, string>(files.Reverse()), At.AddMinutes(2), None);

        var published = Assert.Single(await index.ListPublishedAsync("makes", None));
        Assert.Equal((1, At.AddMinutes(1)), (published.Version, published.PublishedAt));
        Assert.Equal(files, published.Files);
        Assert.Equal(published, await index.GetByOwnerAsync("train-1/0", None) is { } byOwner ? byOwner with { Files = published.Files } : null);
        Assert.False((await index.GetAsync("makes", 2, None))!.Published);
        var changed = await Assert.ThrowsAsync<SkillmakerException>(() =>
            index.PublishAsync("makes", 1, "train-1/0", new Dictionary<string, string> { ["skill.json"] = new string('c', 64) }, At, None));
        Assert.Contains("already published with other files", changed.Message);
        var stranger = await Assert.ThrowsAsync<SkillmakerException>(() => index.PublishAsync("makes", 2, "someone-else", files, At, None));
        Assert.Contains("not reserved by someone-else but by train-1/1", stranger.Message);
    }

    [Fact]
    public async Task ReservationDisposeAsync_TrainingFailedBeforeCommit_NumberReleasedForTheNextTrainer()
    {
        await using var ws = await CreateWorkspaceAsync();
        var index = WorkspaceStorage.SkillIndex(ws.Catalog);
        using var folder = new TempDir("skills");
        var store = new Skillmaker.Training.SkillStore(folder.Path, new Skillmaker.Training.SharedSkills(index, ws.Blobs));

        // A train job reserves v1 and fails (no commit): the number goes back.
        await using (var failed = await store.ReserveAsync("makes", "train-1/0", None))
            Assert.Equal(1, failed.Version);
        Assert.Null(await index.GetByOwnerAsync("train-1/0", None));
        Assert.False(Directory.EnumerateDirectories(Path.Combine(folder.Path, "makes")).Any());

        // The next run takes v1; a published version is never released.
        await using var next = await store.ReserveAsync("makes", "train-2/0", None);
        Assert.Equal(1, next.Version);
        await index.PublishAsync("makes", 1, "train-2/0", new Dictionary<string, string> { ["skill.json"] = new string('a', 64) }, At, None);
        Assert.False(await index.ReleaseAsync("makes", 1, "train-2/0", None));
        Assert.True((await index.GetAsync("makes", 1, None))!.Published);
    }
}

public sealed class SkillIndexTests : SkillIndexContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same index on PostgreSQL, where several machines reserve versions at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SkillIndexOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : SkillIndexContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.OnPostgresAsync(postgres, s3);
}
