using System.Diagnostics;
using System.Text.Json;
using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Host;

/// <summary>Regression tests for issue 22's crash-leftover findings: a real `skillmaker` process dies in the
/// middle of a write (SIGXFSZ from `ulimit -f` kills it inside the blob write, as kill -9 would; SIGKILL at a
/// progress line in train), then `doctor` and the startup check find and clean what it left, and never
/// touch the work of a live process or of another machine. A full disk is simulated honestly with the same
/// file size limit and SIGXFSZ ignored, so the write fails with EFBIG (no root, no tmpfs); ENOSPC itself
/// comes from writing to /dev/full.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CrashLeftoverTests
{
    /// <summary>A 1000x1000 PNG of noise: about 2.9 MiB that PNG cannot shrink, over the 2 MiB limit below.</summary>
    private static string NoisePng(TempDir dir)
    {
        var random = new Random(22);
        using var bitmap = new SKBitmap(1000, 1000, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[1000 * 1000 * 4];
        random.NextBytes(pixels);
        for (var i = 3; i < pixels.Length; i += 4) pixels[i] = 255;
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        var path = dir.File("big/noise.png");
        File.WriteAllBytes(path, TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
        Assert.InRange(new FileInfo(path).Length, 2_200_000, 8_000_000);
        return Path.GetDirectoryName(path)!;
    }

    /// <summary>The real CLI under bash with a 2 MiB file size limit (the catalog stays below it).</summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunLimitedAsync(string workspace, bool ignoreSignal, params string[] args)
    {
        var script = $"{(ignoreSignal ? "trap '' XFSZ; " : "")}ulimit -c 0; ulimit -f 2048; exec dotnet \"$0\" \"$@\"";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workspace };
        foreach (var a in new[] { "-c", script, Path.Combine(AppContext.BaseDirectory, "skillmaker.dll") }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment[AssetLocator.EnvironmentVariable] = TestAssets.Dir;
        // The runtime's double-mapped code memory is a file too; under the limit it would not start.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output, await error);
    }

    private static List<string> TempFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*.tmp", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })];

    private static async Task<JsonElement> IngestRunAsync(string ws, string runIdPrefix = "ingest-") =>
        (await CliRunner.RunAsync(ws, "status", "--json")).Json.GetProperty("ingestRuns").EnumerateArray().Last(r => r.GetProperty("runId").GetString()!.StartsWith(runIdPrefix, StringComparison.Ordinal));

    [Fact]
    public async Task Doctor_IngestKilledInsideABlobWrite_FindsAndCleansItsTempBlobAndRunButNotLiveOrOtherMachinesWork()
    {
        using var dir = new TempDir("doctor");
        var photos = NoisePng(dir);
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init")).ExitCode);

        var killed = await RunLimitedAsync(ws, ignoreSignal: false, "ingest", photos, "--source", "big");

        Assert.True(killed.ExitCode == 128 + 25, $"expected death by SIGXFSZ, got {killed.ExitCode}: {killed.Error}");
        var orphan = Assert.Single(TempFiles(ws));
        var leases = new RunLeases(Path.Combine(ws, ".skillmaker", "leases"));
        // A run of this (live) process, and one of another machine: neither may be touched.
        using var live = leases.Take("ingest", "ingest-live");
        var elsewhere = Path.Combine(leases.Folder, "ingest.ingest-elsewhere.lease");
        await File.WriteAllTextAsync(elsewhere, """{"kind":"ingest","runId":"ingest-elsewhere","host":"another-machine","pid":1,"startedAtUnixMs":0}""");

        var found = await CliRunner.RunAsync(ws, "doctor", "--older-than", "0", "--json");
        var fixedRun = await CliRunner.RunAsync(ws, "doctor", "--older-than", "0", "--fix", "--json");
        var after = await CliRunner.RunAsync(ws, "doctor", "--older-than", "0", "--json");

        Assert.Equal(3, found.ExitCode);
        var findings = found.Json.GetProperty("findings").EnumerateArray().ToList();
        var temp = Assert.Single(findings, f => f.GetProperty("kind").GetString() == "temp-file");
        Assert.Equal(orphan, temp.GetProperty("path").GetString());
        Assert.Equal("leftover", temp.GetProperty("state").GetString());
        var dead = Assert.Single(findings, f => f.GetProperty("kind").GetString() == "run" && f.GetProperty("state").GetString() == "leftover");
        Assert.Contains("is gone", dead.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(findings, f => f.GetProperty("path").GetString() == "ingest run ingest-live" && f.GetProperty("state").GetString() == "in-use");
        Assert.Contains(findings, f => f.GetProperty("path").GetString() == "ingest run ingest-elsewhere" && f.GetProperty("state").GetString() == "elsewhere");
        Assert.True(fixedRun.ExitCode == 0, fixedRun.Error);
        Assert.Equal(2, fixedRun.Json.GetProperty("fixedCount").GetInt32());
        Assert.Empty(TempFiles(ws));
        Assert.Equal("interrupted", (await IngestRunAsync(ws)).GetProperty("status").GetString());
        Assert.Equal(0, after.ExitCode);
        Assert.True(File.Exists(elsewhere));
        Assert.Equal(2, leases.List().Count);
        // And the photo goes in on a re-run.
        var rerun = await CliRunner.RunAsync(ws, "ingest", photos, "--source", "big", "--json");
        Assert.Equal(1, rerun.Json.GetProperty("added").GetInt32());
    }

    [Fact]
    public async Task Ingest_FileSizeLimitReached_OneClearErrorNamingTheFolderAndSizeNothingHalfWrittenRunFailed()
    {
        using var dir = new TempDir("full");
        var photos = NoisePng(dir);
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init")).ExitCode);

        var (exit, _, error) = await RunLimitedAsync(ws, ignoreSignal: true, "ingest", photos, "--source", "big");

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"in {Path.Combine(ws, ".skillmaker", "blobs")}", line, StringComparison.Ordinal);
        Assert.Matches(@"Cannot write 2\.\d MiB", line);
        Assert.Contains("ulimit -f", line, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", error, StringComparison.Ordinal);
        Assert.Empty(TempFiles(ws));
        Assert.Equal("failed", (await IngestRunAsync(ws)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task NoSpaceException_WriteToDevFull_RecognisedAndNamesTheFolderAndSize()
    {
        // /dev/full answers every write with ENOSPC: the real errno of a full disk.
        var error = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
            await full.WriteAsync(new byte[4096]);
            await full.FlushAsync();
        });

        Assert.True(NoSpaceException.Is(error), $"{error.GetType().Name} {error.HResult}: {error.Message}");
        var message = new NoSpaceException("/data/ws/.skillmaker/blobs", 3 << 20, error).Message;
        Assert.StartsWith("No space left to write 3 MiB in /data/ws/.skillmaker/blobs", message, StringComparison.Ordinal);
        Assert.Contains("free at least 3 MiB", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartupCheck_TrainKilledWhileWritingItsPackage_NextCommandRemovesStagingAndReservation()
    {
        using var dir = new TempDir("train-kill");
        var ws = Path.Combine(dir.Path, "ws");
        Directory.CreateDirectory(ws);
        foreach (var label in Training.TrainingFixture.MakesClasses.Take(2))
            Common.DirectoryCopy.Recursive(Path.Combine(TestAssets.Cars, label), Path.Combine(dir.Path, "cars", label));
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "init", "--seed", "3")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(ws, "ingest", Path.Combine(dir.Path, "cars"), "--source", "cars", "--labels-from-folders")).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(ws, "two.dataset.json"), """{ "name": "two", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true, "testFraction": 0.25 }""");
        await File.WriteAllTextAsync(Path.Combine(ws, "two.json"), Training.TrainingFixture.SkillConfigJson("two", "two.dataset.json", """{ "type": "logistic" }"""));
        var skill = Path.Combine(ws, ".skillmaker", "skills", "two");

        await using (var trainer = CliProcess.Start(ws, new Dictionary<string, string>(), "train", "two.json"))
        {
            // The package is being written and evaluated in its staging folder when the process dies.
            await trainer.KillAtLineAsync(l => l.Contains("evaluation", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromMinutes(3));
        }
        Assert.True(File.Exists(Path.Combine(skill, ".v1.reserved")));
        Assert.Single(Directory.GetDirectories(skill, ".tmp-1-*"));

        var next = await CliRunner.RunAsync(ws, "skills", "list", "--json");

        Assert.True(next.ExitCode == 0, next.Error);
        Assert.Contains("note: cleaned a crash leftover", next.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(skill, ".v1.reserved")));
        Assert.Empty(Directory.GetDirectories(skill, ".tmp-*"));
        var again = await CliRunner.RunAsync(ws, "train", "two.json", "--json");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.True(File.Exists(Path.Combine(skill, "1", "skill.json")) || Directory.Exists(Path.Combine(skill, "1")));
    }
}
