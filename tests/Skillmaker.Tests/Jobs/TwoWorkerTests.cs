using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Detection;

namespace Skillmaker.Tests.Jobs;

/// <summary>The scale-out proof: the cars and scenes photos ingested and detected by two real worker
/// processes, one killed by SIGKILL halfway through each stage, end in exactly the catalog a single
/// machine makes of them.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class TwoWorkerTests(PostgresFixture postgres, S3rverFixture s3, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    // Phase times go to the test log: where the minutes go when this test gets slow.
    private void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {what}");

    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task IngestAndDetect_TwoWorkersOneKilledHalfwayInEachStage_CatalogEqualsSingleMachineRun()
    {
        // The single-machine run: in this process, SQLite and a blob folder.
        await using var local = await TestWorkspace.CreateAsync();
        var cars = new IngestRequest { Paths = [TestAssets.Cars], Source = "stanford-cars", LabelsFromFolders = true };
        var scenes = new IngestRequest { Paths = [TestAssets.Scenes], Source = "scenes" };
        Phase("single machine: ingest");
        var localCars = await local.Ingest().RunAsync(cars, null, None);
        var localScenes = await local.Ingest().RunAsync(scenes, null, None);
        // One ONNX Runtime thread per image is fastest on small machines, and the same in both runs.
        Phase("single machine: detect");
        var detector = YoloDetector.Shared(TestAssets.Detector, null, threads: 1);
        var localDetect = await new DetectService(WorkspaceStorage.OpenDetectionStore(local.Catalog), local.Blobs, detector, new DetectorSettings { Threads = 1 },
            TimeProvider.System, NullLogger<DetectService>.Instance).RunAsync(new DetectRequest(), null, None);

        Phase("workers: start");
        // The same work on workers: PostgreSQL catalog and job queue, S3 blobs.
        var env = s3.Environment;
        await using var ws = await TestWorkspace.CreateAsync(catalogLocation: postgres.NewCatalogLocation(), environment: env, configure: c =>
        {
            c["blobs"] = $"s3://{S3rverFixture.Bucket}/ws{Guid.NewGuid():N}";
            c["s3"] = new JsonObject { ["endpoint"] = s3.Endpoint };
            c["detector"] = new JsonObject { ["threads"] = 1 };
            c["jobs"] = new JsonObject
            {
                ["storage"] = postgres.NewLocation("hf"), ["batchSize"] = 16, ["invisibilityTimeoutSeconds"] = 5, ["pollIntervalSeconds"] = 0.2,
                ["retryDelaysSeconds"] = new JsonArray(1),
            };
        });
        var ledger = WorkspaceStorage.JobLedger(ws.Catalog);
        await using var a = await StartWorkerAsync(ws, env, "a");
        await using var b = await StartWorkerAsync(ws, env, "b");

        Phase("workers: ingest cars");
        // Ingest: worker a dies halfway through the cars.
        var ingestCars = Cli(ws, env, "ingest", TestAssets.Cars, "-s", "stanford-cars", "--labels-from-folders", "--json");
        var lostIngest = await KillMidJobHalfwayAsync(a, ledger, IngestJobs.Kind);
        var carsResult = await ingestCars;
        Assert.True(carsResult.ExitCode == 0, carsResult.Error);
        Assert.True(RanAgain(b.Error, lostIngest), $"{lostIngest} was not run again by worker b:\n{b.Error}\nkilled worker a:\n{a.Error}");

        Phase("workers: replacement, ingest scenes");
        // A replacement joins; the scenes go in detached and are waited for separately.
        await using var c = await StartWorkerAsync(ws, env, "c");
        var detached = await Cli(ws, env, "ingest", TestAssets.Scenes, "-s", "scenes", "--detach", "--json");
        Assert.True(detached.ExitCode == 0, detached.Error);
        var scenesResult = await Cli(ws, env, "jobs", "wait", detached.Json.GetProperty("runId").GetString()!, "--json");
        Assert.True(scenesResult.ExitCode == 0, scenesResult.Error);

        Phase("workers: detect");
        // Detect: worker b dies halfway.
        var detect = Cli(ws, env, "detect", "--json");
        var lostDetect = await KillMidJobHalfwayAsync(b, ledger, DetectJobs.Kind);
        var detectResult = await detect;
        Assert.True(detectResult.ExitCode == 0, detectResult.Error);
        Assert.True(RanAgain(c.Error, lostDetect), $"{lostDetect} was not run again by worker c:\n{c.Error}\nkilled worker b:\n{b.Error}");

        Phase("compare");
        // The summaries count every file and image exactly once, retried batches included.
        Assert.Equal((localCars.Added, localCars.Duplicates, localCars.Rejected.Count),
            (carsResult.Json.GetProperty("added").GetInt32(), carsResult.Json.GetProperty("duplicates").GetInt32(), carsResult.Json.GetProperty("rejected").GetArrayLength()));
        Assert.Equal((localScenes.Added, localScenes.Ignored), (scenesResult.Json.GetProperty("added").GetInt32(), scenesResult.Json.GetProperty("ignored").GetInt32()));
        Assert.Equal((localDetect.Processed, localDetect.CropsCreated, localDetect.OneVehicle, localDetect.SeveralVehicles),
            (detectResult.Json.GetProperty("processed").GetInt32(), detectResult.Json.GetProperty("cropsCreated").GetInt32(),
             detectResult.Json.GetProperty("oneVehicle").GetInt32(), detectResult.Json.GetProperty("severalVehicles").GetInt32()));

        // And the catalogs are the same, fact by fact: images, sources, fields, hints, near-duplicates,
        // every detection and every crop.
        var expected = await CatalogSnapshot.TakeAsync(local.Catalog);
        var actual = await CatalogSnapshot.TakeAsync(ws.Catalog);
        Assert.Equal(389 + localDetect.CropsCreated, expected.Count(l => l.StartsWith("image ", StringComparison.Ordinal)));
        Assert.Equal(expected, actual);
        foreach (var crop in actual.Where(l => l.StartsWith("image ", StringComparison.Ordinal) && l.Contains(" Crop ", StringComparison.Ordinal)).Take(10))
        {
            var id = crop.Split(' ')[1];
            Assert.Equal(id, Common.Sha256Hex.Of(await ws.Blobs.ReadAllBytesAsync(id, None)));
        }
        var runs = await ledger.ListRunsAsync(10, None);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.NotNull(r.FinishedAt));
        Phase("done");
    }

    private static Task<CliResult> Cli(TestWorkspace ws, IReadOnlyDictionary<string, string> env, params string[] args) =>
        CliRunner.RunAsync(ws.Root, env.ToDictionary(e => e.Key, e => (string?)e.Value), None, args);

    private static async Task<CliProcess> StartWorkerAsync(TestWorkspace ws, IReadOnlyDictionary<string, string> env, string name)
    {
        var worker = CliProcess.Start(ws.Root, env, "worker", "--workers", "1", "--name", name);
        await worker.WaitForAsync("takes jobs from queues", Patience);
        return worker;
    }

    /// <summary>Waits until half the items of the running run of <paramref name="kind"/> are done and the
    /// victim is in the middle of a batch, then kills it; returns the batch it was doing.</summary>
    private async Task<string> KillMidJobHalfwayAsync(CliProcess victim, IJobLedger ledger, string kind)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var run = (await ledger.ListRunsAsync(5, None)).FirstOrDefault(r => r.Kind == kind && r.FinishedAt is null);
            if (run is { Progress: var p } && p.ItemsDone * 2 >= p.Items && Unfinished(victim.Error) is { } batch)
            {
                victim.Kill();
                Phase($"killed a worker mid-batch at {p.ItemsDone}/{p.Items} items");
                // Still unfinished after death: the kill landed mid-batch.
                if (Unfinished(victim.Error) == batch) return batch;
            }
            if (victim.HasExited) throw new InvalidOperationException($"worker ended before it could be killed mid-batch: {victim.Error}");
            await Task.Delay(20);
        }
        throw new TimeoutException($"no {kind} run reached half way with the worker mid-batch: {victim.Error}");
    }

    /// <summary>True when the log shows the batch run (or found done, when the killed worker had committed it).</summary>
    private static bool RanAgain(string log, string batch) =>
        log.Contains($"{batch} started", StringComparison.Ordinal) || log.Contains($"{batch} already has its result", StringComparison.Ordinal);

    /// <summary>The batch a worker's log says it started but not finished.</summary>
    private static string? Unfinished(string log)
    {
        var started = BatchLine().Matches(log).Where(m => m.Groups[2].Value == "started").Select(m => m.Groups[1].Value).ToList();
        var done = BatchLine().Matches(log).Where(m => m.Groups[2].Value == "done").Select(m => m.Groups[1].Value).ToHashSet();
        return started.LastOrDefault(s => !done.Contains(s));
    }

    [GeneratedRegex(@"((?:ingest|detect) \S+ batch \d+/\d+) (started|done)")]
    private static partial Regex BatchLine();
}
