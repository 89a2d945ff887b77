using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Skillmaker.Testing;
using Skillmaker.Workspaces;

namespace Skillmaker.Bench;

/// <summary>Ingest and detect on workers: the cars and scenes photos through a server-mode workspace
/// (PostgreSQL catalog and job queue, blob folder) with 1 and then 2 local <c>skillmaker worker</c>
/// processes. Each worker takes one job at a time on one core (ingest.parallelism 1, detector.threads 1),
/// so the ratio shows how the work spreads over workers; the same work in one process on every core
/// (<c>--local</c>) is the reference. The commands run as a user types them and wait for their jobs, so
/// the times include staging, queueing and the catalog writes.
/// PostgreSQL: <c>--postgres postgres://user@host[:port]/database</c> or <c>$SKILLMAKER_BENCH_POSTGRES</c>
/// (the bench creates schemas there and leaves them), else a throw-away server from Debian's postgresql
/// package, started as the tests start theirs.</summary>
internal static class WorkersBenchmark
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new BenchArgs(args);
        var counts = (options.Get("--workers") ?? "1,2").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList();
        var batchSize = options.Int("--batch-size", 16);
        var assets = BenchSupport.Assets();
        var given = options.Get("--postgres") ?? Environment.GetEnvironmentVariable("SKILLMAKER_BENCH_POSTGRES");
        await using var server = given is null ? await LocalPostgres.StartAsync("skillmaker_bench") : null;
        Func<string, string> location = server is not null ? server.NewLocation
            : prefix => $"{given}{(given!.Contains('?', StringComparison.Ordinal) ? '&' : '?')}schema={prefix}_{Guid.NewGuid():N}";
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

        var rows = new List<(string Setup, Measured M)>
        {
            ($"in-process, {Environment.ProcessorCount} cores", await MeasureAsync(assets, location, workers: 0, batchSize)),
        };
        foreach (var n in counts)
            rows.Add(($"{n} worker{(n == 1 ? "" : "s")}, 1 core each", await MeasureAsync(assets, location, n, batchSize)));

        Console.WriteLine($"workers benchmark: {rows[0].M.Images} photos (cars + scenes), PostgreSQL catalog and job queue{(server is null ? " (given)" : " (throw-away, loopback)")}, blob folder, jobs of {batchSize}; load average at start {load}");
        Console.WriteLine($"  {"setup",-26} {"ingest img/s",13} {"detect img/s",13} {"ingest s",9} {"detect s",9} {"ingest cpu ms/img",18} {"detect cpu ms/img",18}");
        foreach (var (setup, m) in rows)
            Console.WriteLine($"  {setup,-26} {m.Images / m.Ingest,13:F1} {m.Images / m.Detect,13:F1} {m.Ingest,9:F1} {m.Detect,9:F1} {1000 * m.IngestCpu / m.Images,18:F1} {1000 * m.DetectCpu / m.Images,18:F1}");
        var one = rows.FirstOrDefault(r => r.Setup.StartsWith("1 worker", StringComparison.Ordinal)).M;
        foreach (var (setup, m) in rows.Skip(1).Where(r => one is not null && !r.Setup.StartsWith("1 worker", StringComparison.Ordinal)))
            Console.WriteLine($"  {setup}: speed-up over 1 worker: ingest {one!.Ingest / m.Ingest:F2}x, detect {one.Detect / m.Detect:F2}x");
        Console.WriteLine($"  load average at the end {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?")} (on a shared machine the wall times are not the workers' alone; the processor times are)");
        return 0;
    }

    /// <summary>Wall seconds, and processor seconds of the command's process and the workers together
    /// (PostgreSQL's own are not counted): the cost of the work whatever else the machine runs.</summary>
    private sealed record Measured(int Images, double Ingest, double Detect, double IngestCpu, double DetectCpu);

    /// <param name="workers">Worker processes; 0 runs everything in the command's process.</param>
    private static async Task<Measured> MeasureAsync(string assets, Func<string, string> location, int workers, int batchSize)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"sm-bench-workers-{Guid.NewGuid():N}");
        var root = Path.Combine(dir, "ws");
        var processes = new List<CliProcess>();
        try
        {
            var workspace = await Workspace.InitAsync(root, 1, CancellationToken.None);
            var config = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(workspace.ConfigPath))!;
            config["catalog"] = location("t");
            if (workers > 0)
            {
                config["ingest"]!["parallelism"] = 1;
                config["detector"] = new JsonObject { ["threads"] = 1 };
                config["jobs"] = new JsonObject { ["storage"] = location("hf"), ["batchSize"] = batchSize, ["pollIntervalSeconds"] = 0.2 };
            }
            await File.WriteAllTextAsync(workspace.ConfigPath, config.ToJsonString());
            for (var i = 0; i < workers; i++)
                processes.Add(CliProcess.Start(root, new Dictionary<string, string>(), "worker", "--workers", "1", "--name", $"w{i + 1}", "--cache", Path.Combine(dir, $"cache-{i + 1}")));
            await Task.WhenAll(processes.Select(p => p.WaitForAsync("takes jobs from queues", Patience)));

            double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds + processes.Sum(p => p.ProcessorTime.TotalSeconds);
            var (cpu, watch) = (Cpu(), Stopwatch.StartNew());
            var cars = await CliAsync(root, "ingest", Path.Combine(assets, "cars"), "-s", "stanford-cars", "--labels-from-folders");
            var scenes = await CliAsync(root, "ingest", Path.Combine(assets, "scenes"), "-s", "scenes");
            var (ingest, ingestCpu) = (watch.Elapsed.TotalSeconds, Cpu() - cpu);
            (cpu, watch) = (Cpu(), Stopwatch.StartNew());
            var detect = await CliAsync(root, "detect");
            var (seconds, detectCpu) = (watch.Elapsed.TotalSeconds, Cpu() - cpu);
            var (added, processed) = (cars.GetProperty("added").GetInt32() + scenes.GetProperty("added").GetInt32(), detect.GetProperty("processed").GetInt32());
            if (added != processed) throw new InvalidOperationException($"{added} photos were added but detect processed {processed}");
            return new Measured(processed, ingest, seconds, ingestCpu, detectCpu);
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
    }

    private static async Task<System.Text.Json.JsonElement> CliAsync(string root, params string[] args)
    {
        var result = await CliRunner.RunAsync(root, new Dictionary<string, string?>(), CancellationToken.None, [.. args, "--json"]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"skillmaker {string.Join(' ', args)} failed ({result.ExitCode}): {result.Error}");
        return result.Json;
    }
}
