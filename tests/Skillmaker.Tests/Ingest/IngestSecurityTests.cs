using System.Diagnostics;
using Skillmaker.Catalog;
using Skillmaker.Imaging;
using Skillmaker.Ingest;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Ingest;

/// <summary>Regression tests for the ingest findings of issue 22: symbolic link loops, unreadable
/// folders, a signal during the folder walk.</summary>
public sealed class IngestSecurityTests
{
    /// <summary>root/a.jpg, root/sub/b.jpg, root/sub/deeper/c.jpg, with two loops: sub/up → root and
    /// sub/deeper/back → sub.</summary>
    private static string TreeWithTwoLoops(TempDir dir)
    {
        var root = Path.Combine(dir.Path, "photos");
        var scenes = Directory.GetFiles(TestAssets.Scenes, "*.jpg").Order(StringComparer.Ordinal).Take(3).ToList();
        File.Copy(scenes[0], dir.File("photos/a.jpg"));
        File.Copy(scenes[1], dir.File("photos/sub/b.jpg"));
        File.Copy(scenes[2], dir.File("photos/sub/deeper/c.jpg"));
        Directory.CreateSymbolicLink(Path.Combine(root, "sub", "up"), root);
        Directory.CreateSymbolicLink(Path.Combine(root, "sub", "deeper", "back"), Path.Combine(root, "sub"));
        return root;
    }

    [Fact]
    public async Task RunAsync_TwoSymlinkLoops_EachPhotoOnceAndEachLoopWarnedOnce()
    {
        using var dir = new TempDir("loops");
        var root = TreeWithTwoLoops(dir);
        await using var ws = await TestWorkspace.CreateAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var summary = await ws.Ingest().RunAsync(new IngestRequest { Paths = [root], Source = "loops" }, null, limit.Token);

        Assert.False(summary.Interrupted);
        Assert.Equal(3, summary.Added);
        Assert.Empty(summary.Rejected);
        Assert.Equal(3, (await ws.Catalog.CountAsync(CancellationToken.None)).Occurrences);
        var loops = summary.Warnings.Where(w => w.Contains("already walked", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, loops.Count);
        Assert.Contains(loops, w => w.StartsWith(Path.Combine(root, "sub", "up"), StringComparison.Ordinal));
        Assert.Contains(loops, w => w.StartsWith(Path.Combine(root, "sub", "deeper", "back"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_CancelledDuringTheWalk_RunRecordedInterruptedAndRerunAddsAll()
    {
        using var dir = new TempDir("walk-cancel");
        var root = TreeWithTwoLoops(dir);
        await using var ws = await TestWorkspace.CreateAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var request = new IngestRequest { Paths = [root], Source = "loops" };

        var stopped = await ws.Ingest().RunAsync(request, null, cancelled.Token);
        var rerun = await ws.Ingest().RunAsync(request, null, CancellationToken.None);

        Assert.True(stopped.Interrupted);
        Assert.Equal(0, stopped.Added);
        Assert.Equal(IngestRunStatus.Interrupted, (await ws.Catalog.ListIngestRunsAsync(CancellationToken.None)).Single(r => r.RunId == stopped.RunId).Status);
        Assert.False(rerun.Interrupted);
        Assert.Equal(3, rerun.Added);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Ingest_UnreadableSubfolder_RejectedThereAndTheRestAdded()
    {
        // Permissions do not bind root: the CLI runs as nobody when the tests run as root.
        using var dir = new TempDir("unreadable");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_111_111);
        var scenes = Directory.GetFiles(TestAssets.Scenes, "*.jpg").Order(StringComparer.Ordinal).Take(2).ToList();
        File.Copy(scenes[0], dir.File("photos/open/a.jpg"));
        File.Copy(scenes[1], dir.File("photos/closed/b.jpg"));
        foreach (var d in new[] { "photos", "photos/open" }) File.SetUnixFileMode(Path.Combine(dir.Path, d), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(dir.Path, "photos", "open", "a.jpg"), (UnixFileMode)0b110_100_100);
        File.SetUnixFileMode(Path.Combine(dir.Path, "photos", "closed"), UnixFileMode.None);
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        File.SetUnixFileMode(ws, (UnixFileMode)0b111_111_111);

        var init = await RunAsUserAsync(ws, "init");
        Assert.True(init.ExitCode == 0, init.Error);
        var (exit, output, error) = await RunAsUserAsync(ws, "ingest", Path.Combine(dir.Path, "photos"), "--source", "mixed", "--json");

        Assert.True(exit is 0 or 3, $"exit {exit}: {error}");
        Assert.DoesNotContain("UnauthorizedAccessException", error, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(1, json.RootElement.GetProperty("added").GetInt32());
        var rejected = Assert.Single(json.RootElement.GetProperty("rejected").EnumerateArray());
        Assert.Equal(Path.Combine(dir.Path, "photos", "closed"), rejected.GetProperty("path").GetString());
        Assert.Contains("permission denied", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ManifestPointsOutsideItsFolder_RejectedAsBlockedAndNoContentQuoted()
    {
        using var dir = new TempDir("manifest-confined");
        const string Secret = "root:*:19000:0:99999:7:::";
        await File.WriteAllTextAsync(dir.File("secret.txt"), Secret + "\n");
        File.Copy(TestAssets.Scene("bus.jpg"), dir.File("manifests/ok.jpg"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "manifests", "innocent.jpg"), Path.Combine(dir.Path, "secret.txt"));
        var manifest = dir.File("manifests/m.csv");
        await File.WriteAllLinesAsync(manifest, ["path", "ok.jpg", "../secret.txt", "innocent.jpg", "/etc/hostname"]);
        await using var ws = await TestWorkspace.CreateAsync();

        var confined = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "m" }, null, CancellationToken.None);
        var widened = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = "m", ManifestRoots = [dir.Path] }, null, CancellationToken.None);

        Assert.Equal(1, confined.Added);
        Assert.Equal(3, confined.Rejected.Count);
        Assert.All(confined.Rejected, r => Assert.Equal(RejectCode.Blocked, r.Code));
        Assert.All(confined.Rejected, r => Assert.Contains("outside the manifest's folder", r.Reason, StringComparison.Ordinal));
        // With the folder above as a root the text file is read, and refused without a word of what it holds.
        var text = widened.Rejected.Where(r => r.Code == RejectCode.NotAnImage).ToList();
        Assert.Equal(2, text.Count);
        Assert.All(text, r => Assert.Contains("holds text", r.Reason, StringComparison.Ordinal));
        Assert.All(widened.Rejected.Concat(confined.Rejected), r => Assert.DoesNotContain("root:", r.Reason, StringComparison.Ordinal));
        Assert.Equal(RejectCode.Blocked, Assert.Single(widened.Rejected, r => r.Path == "/etc/hostname").Code);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsUserAsync(string workingDirectory, params string[] args)
    {
        var root = Environment.UserName == "root";
        var start = new ProcessStartInfo(root ? "setpriv" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        if (root) foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" }) start.ArgumentList.Add(a);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "skillmaker.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["HOME"] = workingDirectory;
        start.Environment["DOTNET_CLI_HOME"] = workingDirectory;
        start.Environment[Common.AssetLocator.EnvironmentVariable] = TestAssets.Dir;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output, await error);
    }
}
