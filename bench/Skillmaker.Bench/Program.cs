using Skillmaker.Bench;

// Each benchmark compares a Skillmaker stage with its bare engine in the same run and prints the ratio.
var benchmarks = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["ingest"] = IngestBenchmark.RunAsync,
    ["augment"] = AugmentBenchmark.RunAsync,
    ["embed"] = EmbedBenchmark.RunAsync,
    ["train"] = TrainBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project bench/Skillmaker.Bench -- <{string.Join("|", benchmarks.Keys)}> [options]");
    return 2;
}
return await run(args[1..]);
