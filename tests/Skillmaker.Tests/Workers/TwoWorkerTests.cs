using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Detection;

namespace Skillmaker.Tests.Workers;

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
    private static readonly TimeSpan Patience = ServerWorkspace.Patience;

    [Fact]
    public async Task IngestAndDetect_TwoWorkersOneKilledHalfwayInEachStage_CatalogEqualsSingleMachineRun()
    {
        // The single-machine run: in this process, SQLite and a blob folder. It runs beside the workers,
        // using the processor while they wait on one another, the queue and the killed worker's timeout.
        await using var local = await TestWorkspace.CreateAsync();
        var reference = Task.Run(() => SingleMachineRunAsync(local));

        // The same work on workers: PostgreSQL catalog and job queue, S3 blobs.
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject
        {
            ["batchSize"] = 16, ["invisibilityTimeoutSeconds"] = 5, ["pollIntervalSeconds"] = 0.2, ["retryDelaysSeconds"] = new JsonArray(1),
        }, configure: c =>
            // One ONNX Runtime thread per image: the fastest on small machines, and as in the single-machine run.
            c["detector"] = new JsonObject { ["threads"] = 1 });
        var ws = server.Workspace;
        var ledger = WorkspaceStorage.JobLedger(ws.Catalog);
        Phase("workers: start a and b");
        await using var a = server.StartWorker("a");
        await using var b = server.StartWorker("b");
        await ServerWorkspace.ReadyAsync(a, b);

        // Ingest: worker a dies halfway through the cars.
        Phase("workers: ingest cars");
        var ingestCars = server.CliAsync("ingest", TestAssets.Cars, "-s", "stanford-cars", "--labels-from-folders", "--json");
        var lostIngest = await KillMidBatchHalfwayAsync(a, ledger, IngestJobs.Kind, ingestCars);
        var carsResult = await ingestCars;
        Assert.True(carsResult.ExitCode == 0, carsResult.Error);
        Assert.True(await RanAgainAsync(b, lostIngest), $"{lostIngest} was not run again by worker b:\n{b.Error}\nkilled worker a:\n{a.Error}");

        // A replacement joins; the scenes go in detached and are waited for separately.
        Phase("workers: start c, ingest scenes detached");
        await using var c = server.StartWorker("c");
        await ServerWorkspace.ReadyAsync(c);
        var detached = await server.CliAsync("ingest", TestAssets.Scenes, "-s", "scenes", "--detach", "--json");
        Assert.True(detached.ExitCode == 0, detached.Error);
        var scenesResult = await server.CliAsync("jobs", "wait", detached.Json.GetProperty("runId").GetString()!, "--json");
        Assert.True(scenesResult.ExitCode == 0, scenesResult.Error);

        // Detect: worker b dies halfway.
        Phase("workers: detect");
        var detect = server.CliAsync("detect", "--json");
        var lostDetect = await KillMidBatchHalfwayAsync(b, ledger, DetectJobs.Kind, detect);
        var detectResult = await detect;
        Assert.True(detectResult.ExitCode == 0, detectResult.Error);
        Assert.True(await RanAgainAsync(c, lostDetect), $"{lostDetect} was not run again by worker c:\n{c.Error}\nkilled worker b:\n{b.Error}");

        Phase("workers: done; waiting for the single-machine run");
        var (localCars, localScenes, localDetect) = await reference.WaitAsync(Patience);
        Phase("compare");
        // The summaries count every file and image exactly once, retried batches included.
        Assert.Equal((localCars.Added, localCars.Duplicates, localCars.Rejected.Count),
            (carsResult.Json.GetProperty("added").GetInt32(), carsResult.Json.GetProperty("duplicates").GetInt32(), carsResult.Json.GetProperty("rejected").GetArrayLength()));
        Assert.Equal((localScenes.Added, localScenes.Ignored), (scenesResult.Json.GetProperty("added").GetInt32(), scenesResult.Json.GetProperty("ignored").GetInt32()));
        Assert.Equal((localDetect.Processed, localDetect.CropsCreated, localDetect.OneVehicle, localDetect.SeveralVehicles),
            (detectResult.Json.GetProperty("processed").GetInt32(), detectResult.Json.GetProperty("cropsCreated").GetInt32(),
             detectResult.Json.GetProperty("oneVehicle").GetInt32(), detectResult.Json.GetProperty("severalVehicles").GetInt32()));

        // And the catalogs are the same, fact by fact: images, sources, fields, hints, near-duplicates,
        // every detection and every crop. A row a retried batch wrote twice would be a line too many.
        var expected = await CatalogSnapshot.TakeAsync(local.Catalog);
        var actual = await CatalogSnapshot.TakeAsync(ws.Catalog);
        Assert.Equal(localCars.Added + localScenes.Added + localDetect.CropsCreated, expected.Count(l => l.StartsWith("image ", StringComparison.Ordinal)));
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

    private async Task<(IngestSummary Cars, IngestSummary Scenes, DetectSummary Detect)> SingleMachineRunAsync(TestWorkspace local)
    {
        var cars = await local.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Cars], Source = "stanford-cars", LabelsFromFolders = true }, null, None);
        var scenes = await local.Ingest().RunAsync(new IngestRequest { Paths = [TestAssets.Scenes], Source = "scenes" }, null, None);
        Phase("single machine: ingested; detect");
        var detector = YoloDetector.Shared(TestAssets.Detector, null, threads: 1);
        var detect = await new DetectService(WorkspaceStorage.OpenDetectionStore(local.Catalog), local.Blobs, detector, new DetectorSettings { Threads = 1 },
            TimeProvider.System, NullLogger<DetectService>.Instance).RunAsync(new DetectRequest(), null, None);
        Phase("single machine: done");
        return (cars, scenes, detect);
    }

    /// <summary>Waits until the ledger shows half the items of the <paramref name="kind"/> run done, then kills
    /// the victim (SIGKILL) the moment it starts its next batch, so the kill lands mid-job. Returns that batch.</summary>
    private async Task<string> KillMidBatchHalfwayAsync(CliProcess victim, IJobLedger ledger, string kind, Task<CliResult> command)
    {
        var deadline = DateTime.UtcNow + Patience;
        JobRunProgress? progress = null;
        while (progress is null || progress.ItemsDone * 2 < progress.Items)
        {
            if (command.IsCompleted) throw new InvalidOperationException($"the {kind} command ended before half its items were done: {(await command).Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {kind} run reached half way within {Patience}: {victim.Error}");
            await Task.Delay(20);
            progress = (await ledger.ListRunsAsync(5, None)).FirstOrDefault(r => r.Kind == kind && r.FinishedAt is null)?.Progress;
        }
        var line = await victim.KillAtLineAsync(l => BatchLine().Match(l) is { Success: true } m && m.Groups[2].Value == "started").WaitAsync(Patience);
        var batch = BatchLine().Match(line).Groups[1].Value;
        Phase($"killed worker mid-job ({batch}) at {progress.ItemsDone}/{progress.Items} items");
        return batch;
    }

    /// <summary>True when the log shows the batch run (or found done, when the killed worker had committed it).</summary>
    /// <summary>Waits for the log to show the batch run again. The command can finish first: when the killed
    /// worker had recorded the batch's result but not told the queue, the queue hands the job out again
    /// only after its invisibility timeout, and the next worker then finds the result.</summary>
    private static async Task<bool> RanAgainAsync(CliProcess worker, string batch)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!RanAgain(worker.Error, batch) && DateTime.UtcNow < deadline) await Task.Delay(50);
        return RanAgain(worker.Error, batch);
    }

    private static bool RanAgain(string log, string batch) =>
        log.Contains($"{batch} started", StringComparison.Ordinal) || log.Contains($"{batch} already has its result", StringComparison.Ordinal);

    [GeneratedRegex(@"((?:ingest|detect) \S+ batch \d+/\d+) (started|done)")]
    private static partial Regex BatchLine();
}
