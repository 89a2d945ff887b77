using Skillmaker.Registry;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Promotion;

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

    [Fact]
    public async Task SaveEvaluationAsync_SameEvaluationTwice_StoredOnceAndLaterOneWins()
    {
        await using var ws = await CreateWorkspaceAsync();
        var registry = WorkspaceStorage.AliasRegistry(ws.Catalog);
        var at = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var first = Summary(at, accuracy: 0.5);

        // A retried eval job's finisher and the waiting command both record the same result.
        await registry.SaveEvaluationAsync(first, None);
        await registry.SaveEvaluationAsync(first, None);
        await registry.SaveEvaluationAsync(Summary(at.AddMinutes(1), accuracy: 0.75), None);

        await using var connection = await ((SqlCatalog)ws.Catalog).OpenAsync(None);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM evaluations WHERE skill = 'makes'";
        Assert.Equal(2L, Convert.ToInt64(await count.ExecuteScalarAsync(None), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0.75, (await registry.GetEvaluationAsync("makes", 3, "abc123", "worker-1", None))!.Accuracy);
    }

    private static Skillmaker.Evaluation.EvaluationSummary Summary(DateTimeOffset at, double accuracy) => new()
    {
        Skill = "makes", Version = 3, ManifestId = "abc123", EvaluatedAt = at, Machine = "worker-1", Classes = ["a", "b"], Images = 4,
        Accuracy = accuracy, BalancedAccuracy = accuracy, TopK = [accuracy, 1], PerClass = [], ConfusionMatrix = [[1, 1], [0, 2]],
        CalibrationError = 0.1, LatencyP50Ms = 5, LatencyP95Ms = 7, Failures = [],
    };
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
