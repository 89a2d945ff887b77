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
        using var dir = new TempDir("sigint");
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", "--seed", "1")).ExitCode);
        // One file at a time, so the signal lands while work is still queued.
        var configPath = Path.Combine(dir.Path, ".skillmaker", "config.json");
        var config = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(configPath))!;
        config["ingest"] = new System.Text.Json.Nodes.JsonObject { ["parallelism"] = 1 };
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        // Enough extra photos that the run cannot finish while a loaded machine delivers the signal.
        var extra = Path.Combine(dir.Path, "extra");
        WriteNoisePhotos(extra, ExtraPhotos);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir.Path };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "skillmaker.dll"), "ingest", TestAssets.Cars, TestAssets.Scenes, extra, "-s", "x", "--json" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var catalog = Path.Combine(dir.Path, ".skillmaker", "catalog.db");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await CountImagesAsync(catalog) < 20 && !process.HasExited && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.False(process.HasExited, "the ingest finished before it could be interrupted");
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync();

        var (output, errors) = (await stdout, await stderr);
        Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}, expected 1 (interrupted)\nstdout: {output}\nstderr: {errors}");
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.True(summary.GetProperty("interrupted").GetBoolean(), errors);
        var added = summary.GetProperty("added").GetInt32();
        Assert.InRange(added, 20, Total - 1);
        Assert.Equal(added, await CountImagesAsync(catalog));

        var rerun = await CliRunner.RunAsync(dir.Path, "ingest", TestAssets.Cars, TestAssets.Scenes, extra, "-s", "x", "--json");

        Assert.Equal(0, rerun.ExitCode);
        Assert.Equal(Total - added, rerun.Json.GetProperty("added").GetInt32());
        Assert.Equal(added, rerun.Json.GetProperty("duplicates").GetInt32());
        Assert.Equal(Total, await CountImagesAsync(catalog));
        var status = (await CliRunner.RunAsync(dir.Path, "status", "--json")).Json;
        Assert.Equal(["interrupted", "completed"], status.GetProperty("ingestRuns").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
    }

    private const int ExtraPhotos = 1200;
    private const int Total = 389 + ExtraPhotos;

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
