using Skillmaker.Bench;

// Each benchmark is one file with a static RunAsync(args); add a line here to register another.
var benchmarks = new SortedDictionary<string, (string Description, Func<string[], Task<int>> Run)>(StringComparer.Ordinal)
{
    ["augment"] = ("Seeded augmentation pipeline versus bare SkiaSharp decode", AugmentBenchmark.RunAsync),
    ["dashboard"] = ("Dashboard page render p50/p95 on 100,000 synthetic images and 50 skill versions", DashboardBenchmark.RunAsync),
    ["crowd"] = ("Crowd queue: next task, answer and consolidate at scale", CrowdBenchmark.RunAsync),
    ["consolidation"] = ("Crowd consolidation methods on simulated workers (good, random, adversarial, lazy): accuracy and calibration", CrowdBenchmark.ConsolidationAsync),
    ["detect"] = ("End-to-end vehicle detection (decode, letterbox, inference, NMS) versus bare InferenceSession.Run", DetectBench.RunAsync),
    ["embed"] = ("Backbone embeddings through the cache versus bare InferenceSession.Run; head training times; quality", EmbedBenchmark.RunAsync),
    ["gate"] = ("Promotion gate error rates: false refusals of identical retrains (real latency), smallest regression refused 95% of the time", GateBenchmark.RunAsync),
    ["ingest"] = ("Ingest (hash, probe, pHash, catalog write) versus decode-only", IngestBenchmark.RunAsync),
    ["review"] = ("Review page in real Chromium: clicks, keys, page loads and seconds to decide 200 crops with 10% wrong, old flow versus keyboard flow", ReviewBenchmark.RunAsync),
    ["openset"] = ("Open-set rejection, leave-classes-out on the 13 car classes: AUROC and abstain rates per method", OpenSetBenchmark.RunAsync),
    ["train"] = ("Skill training cold versus warm embedding cache, every head, held-out quality", TrainBenchmark.RunAsync),
    ["serve"] = ("Inference API under wrk load on loopback: requests/s, p50/p99, errors; server p50 versus in-process", ServeBenchmark.RunAsync),
    ["serve-burst"] = ("Server memory under a burst of 16 MiB uploads (server as a child process): RSS before, peak, after; answers by status", ServeBurstBenchmark.RunAsync),
    ["workers"] = ("Ingest + detect of cars and scenes on 1 and 2 local worker processes (PostgreSQL job queue) versus one process", WorkersBenchmark.RunAsync),
    ["sources"] = ("URL-list download and crawl over loopback versus local ingest of the same photos; page parsing", SourcesBenchmark.RunAsync),
};

if (args.Length == 0 || args[0] is "-h" or "--help" || !benchmarks.TryGetValue(args[0], out var chosen))
{
    if (args.Length > 0 && args[0] is not ("-h" or "--help")) Console.Error.WriteLine($"unknown benchmark '{args[0]}'");
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Skillmaker.Bench -- BENCHMARK [options]");
    foreach (var (name, (description, _)) in benchmarks) Console.Error.WriteLine($"  {name,-10} {description}");
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}
return await chosen.Run(args[1..]);
