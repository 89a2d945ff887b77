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
        if (args.Contains("--kill")) return await KillToRetryAsync(options);
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

    /// <summary><c>workers --kill</c>: how long a killed worker's batch waits before another worker runs it. Two
    /// workers detect the scenes in jobs of 4; the first is killed (SIGKILL) the moment it starts a batch, and
    /// the time until the second starts that batch is measured, with the invisibility timeout the workspace
    /// shares (<c>--timeout</c> seconds, default the shipped 30; a live worker renews its job every fifth of it).
    /// The survivor has more job slots than there are batches: the queue hands out fresh jobs before expired
    /// ones, so a busy survivor would add the time of its own jobs to the figure.</summary>
    private static async Task<int> KillToRetryAsync(BenchArgs options)
    {
        var timeout = options.Int("--timeout", new Jobs.JobsSettings().InvisibilityTimeoutSeconds);
        var given = options.Get("--postgres") ?? Environment.GetEnvironmentVariable("SKILLMAKER_BENCH_POSTGRES");
        await using var server = given is null ? await LocalPostgres.StartAsync("skillmaker_bench") : null;
        Func<string, string> location = server is not null ? server.NewLocation
            : prefix => $"{given}{(given!.Contains('?', StringComparison.Ordinal) ? '&' : '?')}schema={prefix}_{Guid.NewGuid():N}";
        var dir = Path.Combine(Path.GetTempPath(), $"sm-bench-kill-{Guid.NewGuid():N}");
        var root = Path.Combine(dir, "ws");
        try
        {
            var workspace = await Workspace.InitAsync(root, 1, CancellationToken.None);
            var config = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(workspace.ConfigPath))!;
            config["catalog"] = location("t");
            config["detector"] = new JsonObject { ["threads"] = 1 };
            config["jobs"] = new JsonObject { ["storage"] = location("hf"), ["batchSize"] = 4, ["pollIntervalSeconds"] = 0.2, ["invisibilityTimeoutSeconds"] = timeout };
            await File.WriteAllTextAsync(workspace.ConfigPath, config.ToJsonString());
            await CliAsync(root, "ingest", Path.Combine(BenchSupport.Assets(), "scenes"), "-s", "scenes", "--local");
            // Workers start outside the workspace: the timeout reaches them through the queue's shared settings.
            var storage = config["jobs"]!["storage"]!.GetValue<string>();
            await using var victim = CliProcess.Start(dir, new Dictionary<string, string>(), "worker", "--storage", storage, "--workers", "1", "--name", "victim", "--cache", Path.Combine(dir, "cache-1"));
            await using var survivor = CliProcess.Start(dir, new Dictionary<string, string>(), "worker", "--storage", storage, "--workers", "8", "--name", "survivor", "--cache", Path.Combine(dir, "cache-2"));
            await Task.WhenAll(victim.WaitForAsync("takes jobs from queues", Patience), survivor.WaitForAsync("takes jobs from queues", Patience));
            var killedAt = victim.KillAtLineAsync(l => l.Contains("detect ", StringComparison.Ordinal) && l.EndsWith(" started", StringComparison.Ordinal));
            var detect = CliAsync(root, "detect");
            var line = await killedAt.WaitAsync(Patience);
            var watch = Stopwatch.StartNew();
            var batch = line[line.IndexOf("detect ", StringComparison.Ordinal)..^" started".Length];
            while (!survivor.Error.Contains($"{batch} started", StringComparison.Ordinal) && !survivor.Output.Contains($"{batch} started", StringComparison.Ordinal))
            {
                if (watch.Elapsed > Patience) throw new TimeoutException($"{batch} was not run again within {Patience}");
                await Task.Delay(50);
            }
            var retried = watch.Elapsed.TotalSeconds;
            var processed = (await detect.WaitAsync(Patience)).GetProperty("processed").GetInt32();
            Console.WriteLine($"workers --kill: a worker SIGKILLed as it started '{batch}'; the other worker started it {retried:F1} s later " +
                $"(invisibility timeout {timeout} s shared through the queue, heartbeat every {timeout / 5.0:0.#} s, poll 0.2 s); detect processed {processed} photos, exit 0");
            return 0;
        }
        finally
        {
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
