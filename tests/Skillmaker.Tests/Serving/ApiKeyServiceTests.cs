using Microsoft.Extensions.Time.Testing;
using Skillmaker.Common;
using Skillmaker.Serving;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Serving;

/// <summary>API keys behave the same on every catalog engine.</summary>
public abstract class ApiKeyServiceContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task AuthenticateAsync_KeyFromAdd_ReturnsClientAndStoresOnlyTheHash()
    {
        await using var ws = await CreateWorkspaceAsync();
        var keys = new ApiKeyService(WorkspaceStorage.ApiKeyStore(ws.Catalog), TimeProvider.System);

        var (client, key) = await keys.AddAsync("acme", None);

        Assert.StartsWith(ApiKeyService.KeyPrefix, key);
        Assert.Equal("acme", (await keys.AuthenticateAsync(key, None))?.Name);
        Assert.Equal(client.Name, Assert.Single(await keys.ListAsync(None)).Name);
        Assert.Null(await WorkspaceStorage.ApiKeyStore(ws.Catalog).FindByKeyHashAsync(key, None));
        Assert.NotNull(await WorkspaceStorage.ApiKeyStore(ws.Catalog).FindByKeyHashAsync(ApiKeyService.Hash(key), None));
    }

    [Fact]
    public async Task AuthenticateAsync_RevokedOrUnknownOrMalformed_ReturnsNull()
    {
        await using var ws = await CreateWorkspaceAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var keys = new ApiKeyService(WorkspaceStorage.ApiKeyStore(ws.Catalog), time);
        var (_, key) = await keys.AddAsync("acme", None);
        var (_, other) = await keys.AddAsync("globex", None);

        await keys.RevokeAsync("acme", None);

        Assert.Null(await keys.AuthenticateAsync(key, None));
        Assert.Null(await keys.AuthenticateAsync(ApiKeyService.KeyPrefix + "forged", None));
        Assert.Null(await keys.AuthenticateAsync("not-a-key", None));
        Assert.Null(await keys.AuthenticateAsync("", None));
        Assert.Equal("globex", (await keys.AuthenticateAsync(other, None))?.Name);
        Assert.Equal(time.GetUtcNow(), (await keys.ListAsync(None)).Single(c => c.Name == "acme").RevokedAt);
    }

    [Fact]
    public async Task AddAsync_NameTakenOrInvalid_ThrowsAndChangesNothing()
    {
        await using var ws = await CreateWorkspaceAsync();
        var keys = new ApiKeyService(WorkspaceStorage.ApiKeyStore(ws.Catalog), TimeProvider.System);
        var (_, key) = await keys.AddAsync("acme", None);

        var taken = await Assert.ThrowsAsync<SkillmakerException>(() => keys.AddAsync("acme", None));
        var invalid = await Assert.ThrowsAsync<SkillmakerException>(() => keys.AddAsync("no spaces", None));
        var unknown = await Assert.ThrowsAsync<SkillmakerException>(() => keys.RevokeAsync("nobody", None));

        Assert.Contains("already exists", taken.Message);
        Assert.Contains("expected 1-64 letters", invalid.Message);
        Assert.Contains("api-keys list", unknown.Message);
        Assert.Equal("acme", (await keys.AuthenticateAsync(key, None))?.Name);
        Assert.Single(await keys.ListAsync(None));
    }
}

public sealed class ApiKeyServiceOnSqliteTests : ApiKeyServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

[Collection("postgres")]
public sealed class ApiKeyServiceOnPostgresTests(PostgresFixture postgres) : ApiKeyServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation());
}
