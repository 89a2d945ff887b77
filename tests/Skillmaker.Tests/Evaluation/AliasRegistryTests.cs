using Skillmaker.Registry;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Evaluation;

/// <summary>The alias registry, run against every catalog engine.</summary>
public abstract class AliasRegistryContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task MoveAliasAsync_Twice_HistoryRecordsFromToWhoWhenWhy()
    {
        await using var ws = await CreateWorkspaceAsync();
        var registry = WorkspaceStorage.AliasRegistry(ws.Catalog);
        var t1 = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);

        await registry.MoveAliasAsync("makes", Aliases.Production, 1, "alice", "first promotion", t1, None);
        await registry.MoveAliasAsync("makes", Aliases.Production, 2, "bob", "gate passed", t1.AddDays(1), None);
        await registry.MoveAliasAsync("makes", Aliases.Staging, 3, "bob", "candidate", t1.AddDays(2), None);

        Assert.Equal(2, await registry.GetAliasAsync("makes", Aliases.Production, None));
        Assert.Equal(new Dictionary<string, int> { ["production"] = 2, ["staging"] = 3 }, await registry.GetAliasesAsync("makes", None));
        var history = await registry.GetHistoryAsync("makes", None);
        Assert.Equal(3, history.Count);
        Assert.Equal(new AliasMove("makes", "production", 1, 2, "bob", t1.AddDays(1), "gate passed"), history[1]);
        Assert.Null(history[0].FromVersion);
        Assert.Null(await registry.GetAliasAsync("variants", Aliases.Production, None));
    }

    [Fact]
    public async Task SetStatusAsync_Latest_Wins()
    {
        await using var ws = await CreateWorkspaceAsync();
        var registry = WorkspaceStorage.AliasRegistry(ws.Catalog);

        await registry.SetStatusAsync(new VersionStatus("makes", 4, "needs investigation", "slower", "gate", DateTimeOffset.UnixEpoch), None);
        await registry.SetStatusAsync(new VersionStatus("makes", 4, "ok", "looked at it", "alice", DateTimeOffset.UnixEpoch.AddHours(1)), None);

        Assert.Equal("ok", (await registry.GetStatusAsync("makes", 4, None))!.Status);
        Assert.Null(await registry.GetStatusAsync("makes", 5, None));
    }
}

public sealed class AliasRegistryTests : AliasRegistryContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same registry on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AliasRegistryOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : AliasRegistryContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);
}
