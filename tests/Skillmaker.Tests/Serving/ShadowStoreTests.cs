using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Serving;

/// <summary>Shadow answer counts on every catalog engine: counts add up per skill, staging version,
/// production version and agreement, and nothing else is mixed in.</summary>
public abstract class ShadowStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task AddAsync_TalliesTwice_CountsAddUpPerVersionPair()
    {
        await using var ws = await CreateWorkspaceAsync();
        var store = WorkspaceStorage.ShadowStore(ws.Catalog);
        await store.AddAsync([new("make", 2, 1, "agree", 5), new("make", 2, 1, "disagree", 1), new("make", 3, 1, "agree", 7)], DateTimeOffset.UnixEpoch, None);
        await store.AddAsync([new("make", 2, 1, "agree", 3), new("make", 2, 4, "disagree", 9), new("variant", 2, 1, "agree", 2)], DateTimeOffset.UnixEpoch.AddMinutes(1), None);

        var counted = await store.GetAsync("make", 2, 1, None);
        var none = await store.GetAsync("make", 9, 1, None);

        Assert.Equal((8, 1), (counted.Agree, counted.Disagree));
        Assert.Equal(8.0 / 9, counted.Agreement, 6);
        Assert.Equal(0, none.Answers);
        Assert.Equal(9, (await store.GetAsync("make", 2, 4, None)).Disagree);
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync([new("make", 2, 1, "maybe", 1)], DateTimeOffset.UnixEpoch, None));
    }
}

public sealed class ShadowStoreTests : ShadowStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class ShadowStoreOnPostgresTests(PostgresFixture postgres) : ShadowStoreContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
}
