using Microsoft.Extensions.Time.Testing;
using Skillmaker.Crowd;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Crowd;

/// <summary>Regression tests for issue 22, finding 6: workspace files private to their user, the image-link
/// secret out of the catalog, and no link valid for longer than the configured cap.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WorkspacePrivacyTests
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task Cli_InitAndIngest_EveryFolderAndFileOfTheWorkspaceIsTheUsersOnly()
    {
        using var dir = new TempDir("private");
        var empty = new Dictionary<string, string>();
        Assert.Equal(0, (await CliProcess.Start(dir.Path, empty, "init").WaitForExitAsync(TimeSpan.FromMinutes(1))).ExitCode);
        var ingest = await CliProcess.Start(dir.Path, empty, "ingest", TestAssets.Scene("bus.jpg"), "--source", "s").WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(ingest.ExitCode == 0, ingest.Error);

        var state = Path.Combine(dir.Path, ".skillmaker");
        var entries = Directory.GetFileSystemEntries(state, "*", SearchOption.AllDirectories).Append(state).ToList();
        Assert.Contains(entries, e => e.EndsWith(".jpg", StringComparison.Ordinal) || Path.GetFileName(Path.GetDirectoryName(e))!.Length == 2); // a stored photo
        Assert.All(entries, e => Assert.True((File.GetUnixFileMode(e) & GroupOrOther) == 0, $"{e} is {File.GetUnixFileMode(e)}"));
    }

    [Fact]
    public async Task Cli_GroupAccessAsked_GroupMayReadOthersNot()
    {
        using var dir = new TempDir("group");
        var group = new Dictionary<string, string> { [Common.FilePrivacy.Variable] = "group" };
        Assert.Equal(0, (await CliProcess.Start(dir.Path, group, "init").WaitForExitAsync(TimeSpan.FromMinutes(1))).ExitCode);

        var state = Path.Combine(dir.Path, ".skillmaker");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(state));
    }

    [Fact]
    public async Task ImageLinks_NoSecretInTheEnvironment_Secret0600BesideTheCatalogAndTheCatalogsOwnDoesNotSign()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var links = await ws.Line().ImageLinksAsync(CancellationToken.None);

        var file = Path.Combine(ws.Workspace.StateDirectory, "secrets", "image-links.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.Equal(32, (await File.ReadAllBytesAsync(file)).Length);
        // What a reader of the catalog could take from it no longer makes valid links.
        var fromCatalog = new SignedImageLinks(await WorkspaceStorage.UserStore(ws.Catalog).GetOrCreateSecretAsync("image-links", CancellationToken.None), TimeProvider.System);
        var forged = new Uri("http://x" + fromCatalog.PathFor("abc", TimeSpan.FromHours(1)));
        var query = System.Web.HttpUtility.ParseQueryString(forged.Query);
        Assert.Equal(LinkCheck.BadSignature, links.Check("abc", query["exp"], query["sig"]));
        // The same workspace opened again signs with the same key.
        var again = await ws.Line().ImageLinksAsync(CancellationToken.None);
        var own = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + links.PathFor("abc", TimeSpan.FromHours(1))).Query);
        Assert.Equal(LinkCheck.Valid, again.Check("abc", own["exp"], own["sig"]));
    }

    [Fact]
    public void Check_SignedExpiryBeyondTheCap_RefusedAlthoughTheSignatureHolds()
    {
        byte[] secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var capped = new SignedImageLinks(secret, time, TimeSpan.FromHours(24));
        var uncapped = new SignedImageLinks(secret, time, TimeSpan.FromDays(36500));
        var decade = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + uncapped.PathFor("abc", TimeSpan.FromDays(3650))).Query);
        var day = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + capped.PathFor("abc", TimeSpan.FromDays(3650))).Query);

        Assert.Equal(LinkCheck.Valid, uncapped.Check("abc", decade["exp"], decade["sig"]));
        Assert.Equal(LinkCheck.BadSignature, capped.Check("abc", decade["exp"], decade["sig"]));
        // Asking the capped signer for ten years gives a link of the cap.
        Assert.Equal(time.GetUtcNow().AddHours(24).ToUnixTimeSeconds(), long.Parse(day["exp"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(LinkCheck.Valid, capped.Check("abc", day["exp"], day["sig"]));
    }
}
