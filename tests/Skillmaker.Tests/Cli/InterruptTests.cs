using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Cli;

public sealed class InterruptTests
{
    [Fact]
    public async Task Ingest_CtrlCInRealProcess_RecordsInterruptedRunAndRerunCompletes()
    {
        // A signal to a real process races its work: when a run happens to finish before the signal lands
        // (it then completes correctly, which is checked), try again with more work to interrupt.
        for (var extraPhotos = ExtraPhotos; ; extraPhotos *= 2)
        {
            using var dir = new TempDir("sigint");
            var (exitCode, output, errors, catalog) = await IngestAndInterruptAsync(dir.Path, extraPhotos);
            var total = 389 + extraPhotos;
            var summary = JsonDocument.Parse(output).RootElement;
            if (exitCode == 0 && extraPhotos < ExtraPhotos * 4)
            {
                Assert.False(summary.GetProperty("interrupted").GetBoolean(), errors);
                Assert.Equal(total, summary.GetProperty("added").GetInt32());
                continue;
            }
            Assert.True(exitCode == 1, $"exit code {exitCode}, expected 1 (interrupted)\nstdout: {output}\nstderr: {errors}");
            Assert.True(summary.GetProperty("interrupted").GetBoolean(), errors);
            var added = summary.GetProperty("added").GetInt32();
            Assert.InRange(added, 20, total - 1);
            Assert.Equal(added, await CountImagesAsync(catalog));

            var rerun = await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Cars, TestAssets.Scenes, Path.Combine(dir.Path, "extra"), "-s", "x", "--json");

            Assert.Equal(0, rerun.ExitCode);
            Assert.Equal(total - added, rerun.Json.GetProperty("added").GetInt32());
            Assert.Equal(added, rerun.Json.GetProperty("duplicates").GetInt32());
            Assert.Equal(total, await CountImagesAsync(catalog));
            var status = (await CliRunner.RunAsync(dir.Path, "status", "--json")).Json;
            Assert.Equal(["interrupted", "completed"], status.GetProperty("ingestRuns").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
            return;
        }
    }

    /// <summary>Starts `skillmaker ingest` as a real process on the cars, the scenes and
    /// <paramref name="extraPhotos"/> generated photos, and sends it SIGINT once 20 images are in.</summary>
    private static async Task<(int ExitCode, string Output, string Errors, string Catalog)> IngestAndInterruptAsync(string root, int extraPhotos)
    {
        Assert.Equal(0, (await CliRunner.RunAsync(root, "init", "--seed", "1")).ExitCode);
        // One file at a time, so the signal lands while work is still queued.
        var configPath = Path.Combine(root, ".skillmaker", "config.json");
        var config = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(configPath))!;
        config["ingest"] = new System.Text.Json.Nodes.JsonObject { ["parallelism"] = 1 };
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        var extra = Path.Combine(root, "extra");
        WriteNoisePhotos(extra, extraPhotos);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "skillmaker.dll"), "ingest", TestAssets.Cars, TestAssets.Scenes, extra, "-s", "x", "--json" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var catalog = Path.Combine(root, ".skillmaker", "catalog.db");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await CountImagesAsync(catalog) < 20 && !process.HasExited && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        if (!process.HasExited)
            using (var kill = Process.Start("kill", [InterruptSignal(), process.Id.ToString()])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr, catalog);
    }

    private const int ExtraPhotos = 1200;

    /// <summary>SIGINT, as Ctrl-C, unless this test process was started in the background of a shell without
    /// job control: such a shell sets SIGINT to ignored, children inherit that and the runtime keeps it
    /// (POSIX), so the signal could never arrive. SIGTERM, which the CLI handles the same way, stands in.</summary>
    private static string InterruptSignal()
    {
        var ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ignored is null ? 0UL : Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (2 - 1))) != 0 ? "-TERM" : "-INT";
    }

    /// <summary>Distinct small photos: coarse random blocks, so no two are near-duplicates.</summary>
    private static void WriteNoisePhotos(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        using var bitmap = new SkiaSharp.SKBitmap(96, 96);
        for (var i = 0; i < count; i++)
        {
            for (var by = 0; by < 96; by += 12)
                for (var bx = 0; bx < 96; bx += 12)
                {
                    var color = new SkiaSharp.SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                    for (var y = by; y < by + 12; y++)
                        for (var x = bx; x < bx + 12; x++) bitmap.SetPixel(x, y, color);
                }
            File.WriteAllBytes(Path.Combine(folder, $"noise{i:D4}.png"), TestImages.Encode(bitmap, SkiaSharp.SKEncodedImageFormat.Png));
        }
    }

    private static async Task<long> CountImagesAsync(string catalog)
    {
        if (!File.Exists(catalog)) return 0;
        try
        {
            await using var connection = new SqliteConnection($"Data Source={catalog};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM images";
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (SqliteException)
        {
            return 0; // schema not created yet
        }
    }
}
