using Microsoft.Extensions.Time.Testing;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Users;
using Skillmaker.Crowd;

namespace Skillmaker.Tests.Crowd;

/// <summary>Users and sign-in, run against every catalog engine.</summary>
public abstract class UserServiceContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    [Fact]
    public async Task SignIn_UnknownExpiredRevoked_AreToldApart()
    {
        await using var ws = await CreateWorkspaceAsync();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z"));
        var users = new UserService(WorkspaceStorage.UserStore(ws.Catalog), time);
        var (ana, anaToken) = await users.AddAsync("ana", UserRole.Expert, CancellationToken.None, TimeSpan.FromDays(1));
        var (_, boToken) = await users.AddAsync("bo", UserRole.Crowd, CancellationToken.None);

        Assert.Equal(SignInOutcome.SignedIn, (await users.SignInAsync(anaToken, CancellationToken.None)).Outcome);
        Assert.Equal(SignInOutcome.Unknown, (await users.SignInAsync(anaToken + "x", CancellationToken.None)).Outcome);
        Assert.Equal(SignInOutcome.Unknown, (await users.SignInAsync("", CancellationToken.None)).Outcome);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(SignInOutcome.Expired, (await users.SignInAsync(anaToken, CancellationToken.None)).Outcome);
        Assert.True(await users.SessionStillValidAsync(ana.Id, CancellationToken.None));

        await users.RevokeAsync("bo", CancellationToken.None);
        var (outcome, bo) = await users.SignInAsync(boToken, CancellationToken.None);
        Assert.Equal(SignInOutcome.Revoked, outcome);
        Assert.False(await users.SessionStillValidAsync(bo!.Id, CancellationToken.None));
        await Assert.ThrowsAsync<Common.SkillmakerException>(() => users.RevokeAsync("nobody", CancellationToken.None));
        await Assert.ThrowsAsync<Common.SkillmakerException>(() => users.AddAsync("bad name!", UserRole.Crowd, CancellationToken.None));
    }
}

public sealed class UserServiceTests : UserServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same users on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class UserServiceOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : UserServiceContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);
}
