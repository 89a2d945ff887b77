using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Skillmaker.Catalog;
using Skillmaker.Crowd;
using Skillmaker.Testing;

namespace Skillmaker.Bench;

/// <summary>Crowd answers per second through the task queue (reserve + answer, each a transaction on
/// the real SQLite catalog) against bare single-row SQLite insert transactions on the same machine;
/// and Dawid–Skene against majority vote on the answers collected. <see cref="ConsolidationAsync"/>:
/// accuracy and calibration of each consolidation method on simulated crowds with known truth.</summary>
internal static class CrowdBenchmark
{
    /// <summary>Every method on every scenario, averaged over seeds: coverage (share decided), accuracy of
    /// the decided, wrong decisions among all items, confident (≥ 0.9) wrong decisions, answers nobody
    /// gave, calibration error (ECE) and mean confidence. Options: seeds (default 5).</summary>
    public static Task<int> ConsolidationAsync(string[] args)
    {
        var seeds = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 5;
        var content = CrowdScenario.AnswerValues;
        var scenarios = new CrowdScenario[]
        {
            new("good crowd: 10 good, 600 items", 600, 30, 3, CrowdScenario.Crowd(good: 10)),
            new("mixed: 6 good 2 random 1 adversarial 1 lazy, 600 items", 600, 30, 3, CrowdScenario.Crowd(6, 2, 1, 1)),
            new("mostly bad: 3 good 3 random 2 adversarial 2 lazy, 600 items", 600, 30, 3, CrowdScenario.Crowd(3, 3, 2, 2)),
            new("small batch: 3 good 1 random 1 lazy, 20 items, 2 gold", 20, 2, 3, CrowdScenario.Crowd(3, 1, 0, 1)),
            new("first day: 3 good, 6 items, no gold", 6, 0, 3, CrowdScenario.Crowd(3)),
        };
        var methods = new (string Name, Func<SimulatedCrowd, IReadOnlyDictionary<string, Consensus>> Run)[]
        {
            ("majority", c => Consolidation.Run(ConsolidationMethod.Majority, c.Votes, content, c.Gold, new())),
            ("weighted-majority (errors among 2: default)", c => Consolidation.Run(ConsolidationMethod.WeightedMajority, c.Votes, content, c.Gold, new())),
            ("weighted-majority (errors among all 6)", c => Consolidation.Run(ConsolidationMethod.WeightedMajority, c.Votes, content, c.Gold, new() { ErrorClasses = 6 })),
            ("dawid-skene (guarded, >=20 answers/worker)", c => Consolidation.Run(ConsolidationMethod.DawidSkene, c.Votes, content, c.Gold, new() { EvidenceWeight = 1 })),
            ("dawid-skene (guarded, >=5 answers/worker)", c => Consolidation.Run(ConsolidationMethod.DawidSkene, c.Votes, content, c.Gold, new() { MinWorkerAnswers = 5, EvidenceWeight = 1 })),
            ("dawid-skene (guarded, evidence x0.5)", c => Consolidation.Run(ConsolidationMethod.DawidSkene, c.Votes, content, c.Gold, new() { EvidenceWeight = 0.5 })),
            ("dawid-skene (guarded, evidence x0.7: default)", c => Consolidation.Run(ConsolidationMethod.DawidSkene, c.Votes, content, c.Gold, new())),
            ("dawid-skene everywhere, prior 4", c => DawidSkene.Consolidate(c.Votes, content, c.Gold).Items),
            ("dawid-skene everywhere, no prior (old)", c => DawidSkene.Consolidate(c.Votes, content, c.Gold, priorStrength: 0).Items),
        };
        Console.WriteLine($"consolidation on simulated crowds (content question, overlap 3), mean of {seeds} seeds");
        Console.WriteLine("  coverage = share decided; acc = accuracy of the decided; wrong = wrongly decided / all items;");
        Console.WriteLine("  conf-wrong = decided wrong with confidence >= 0.9 (per seed); ECE = calibration error of the decided (0 is perfect)");
        foreach (var scenario in scenarios)
        {
            Console.WriteLine();
            Console.WriteLine($"  {scenario.Name}");
            Console.WriteLine($"    {"method",-44} {"coverage",8} {"acc",7} {"wrong",7} {"conf-wrong",10} {"nobody",7} {"ECE",6} {"mean conf",9}");
            var crowds = Enumerable.Range(0, seeds).Select(s => scenario.Simulate(1000 + s)).ToList();
            foreach (var (name, run) in methods)
            {
                var scores = crowds.Select(c => c.Score(run(c))).ToList();
                Console.WriteLine($"    {name,-44} {scores.Average(x => x.Coverage),8:P1} {scores.Average(x => x.DecidedAccuracy),7:P1} {scores.Average(x => x.WrongRate),7:P1} " +
                    $"{scores.Average(x => x.ConfidentWrong),10:F1} {scores.Average(x => x.AnswersNobodyGave),7:F1} {scores.Average(x => x.Ece),6:F3} {scores.Average(x => x.MeanConfidence),9:F3}");
            }
        }
        return Task.FromResult(0);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var crops = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 1000;
        const int overlap = 3, workers = 30;
        var dir = Path.Combine(Path.GetTempPath(), $"sm-bench-crowd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            await using var temp = await BenchSupport.NewWorkspaceAsync("crowd", 1);
            var catalog = temp.Line.Catalog;
            var now = DateTimeOffset.UtcNow;
            var ids = new List<string>();
            for (var i = 0; i < crops; i++)
            {
                var id = Common.Sha256Hex.Of(BitConverter.GetBytes(i));
                ids.Add(id);
                await catalog.RecordIngestAsync(new IngestWrite
                {
                    ImageId = id,
                    NewImage = new ImageRecord { Id = id, Kind = ImageKind.Crop, ByteSize = 1, Format = "jpeg", Width = 64, Height = 64, ExifOrientation = 1, PerceptualHash = (ulong)i, IngestedAt = now },
                    Occurrence = new ImageOccurrence { ImageId = id, Source = "bench", OriginalPath = id, OriginalFileName = "c.jpg", RunId = "bench", SeenAt = now },
                }, CancellationToken.None);
            }
            var store = temp.Line.CrowdStore;
            var crowd = temp.Line.Crowd(new CrowdOptions { Overlap = overlap, GoldEvery = 0 });
            await crowd.EnqueueAllCropsAsync(overlap, CancellationToken.None);

            var random = new Random(17);
            var contents = CrowdQuestions.Content.Select(o => o.Value).ToArray();
            var watch = Stopwatch.StartNew();
            var answers = 0;
            for (var round = 0; ; round++)
            {
                var progressed = false;
                for (var w = 0; w < workers; w++)
                {
                    var a = await crowd.NextTaskAsync($"w{w}", CancellationToken.None);
                    if (a is null) continue;
                    await crowd.SubmitAsync(a.Task.Id, $"w{w}", contents[random.Next(contents.Length)], "good", CancellationToken.None);
                    answers++;
                    progressed = true;
                }
                if (!progressed) break;
            }
            var queueRate = answers / watch.Elapsed.TotalSeconds;

            // Bare engine: the same number of single-row insert transactions, same pragmas.
            await using (var bare = new SqliteConnection($"Data Source={Path.Combine(dir, "bare.db")};Pooling=True"))
            {
                await bare.OpenAsync();
                await using (var setup = bare.CreateCommand())
                {
                    setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, task INTEGER, worker TEXT, content TEXT);";
                    await setup.ExecuteNonQueryAsync();
                }
                watch.Restart();
                for (var i = 0; i < answers; i++)
                {
                    await using var tx = (SqliteTransaction)await bare.BeginTransactionAsync();
                    await using var insert = bare.CreateCommand();
                    insert.Transaction = tx;
                    insert.CommandText = "INSERT INTO t (task, worker, content) VALUES ($t, $w, $c)";
                    insert.Parameters.AddWithValue("$t", i);
                    insert.Parameters.AddWithValue("$w", "w");
                    insert.Parameters.AddWithValue("$c", "exterior");
                    await insert.ExecuteNonQueryAsync();
                    await tx.CommitAsync();
                }
            }
            var bareRate = answers / watch.Elapsed.TotalSeconds;

            var all = await store.GetAnswersAsync(CancellationToken.None);
            var votes = all.Select(a => new Vote(a.TaskId.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Worker, a.Content)).ToList();
            watch.Restart();
            MajorityVote.Consolidate(votes);
            var majorityMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var ds = DawidSkene.Consolidate(votes, contents);
            var dsMs = watch.Elapsed.TotalMilliseconds;

            Console.WriteLine($"crowd benchmark: {crops} crops x overlap {overlap}, {workers} workers, {answers} answers, one thread");
            Console.WriteLine($"  bare SQLite insert transactions: {bareRate,8:F0} /s");
            Console.WriteLine($"  reserve + answer (2 transactions): {queueRate,8:F0} answers/s  (ratio {bareRate / queueRate:F1}x the bare insert cost)");
            Console.WriteLine($"  majority vote:  {majorityMs,8:F1} ms");
            Console.WriteLine($"  Dawid-Skene:    {dsMs,8:F1} ms ({ds.Iterations} EM iterations, {dsMs / Math.Max(0.001, majorityMs):F0}x majority)");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
