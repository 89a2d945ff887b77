using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Bench;

/// <summary>How often the promotion gate is wrong, on the 13-class car photos with examples/car-variants.
/// (1) False refusals: the same config trained twice (identical head) and promoted against itself
/// [identical] times, each a real dry-run promotion that measures both versions' latency interleaved on
/// this machine (goal: 0 refusals). (2) Power: production's real predictions on the held-out split, and
/// candidates built from them that lose k items in expectation, with churn as a retrain moves answers
/// (each right item turns wrong with probability (c + k)/right, each wrong one right with c/wrong,
/// c = 5% of items); [trials] candidates per k, decided by the default gate and by each accuracy rule
/// alone; the smallest regression refused 95% of the time, and false refusals with churn alone (k = 0).
/// Arguments: [identical=20] [trials=200] [seed=20261203].</summary>
internal static class GateBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var identical = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 20;
        var trials = args.Length > 1 && int.TryParse(args[1], out var t) ? t : 200;
        var seed = args.Length > 2 && int.TryParse(args[2], out var s) ? s : 20261203;
        var assets = BenchSupport.Assets();
        await using var temp = await BenchSupport.NewWorkspaceAsync("gate", seed, assets);
        await BenchSupport.IngestCarsAsync(temp.Line, assets);
        var env = temp.Line.Training;
        var skill = await SkillConfigLoader.LoadAsync(TrainBenchmark.FindExample(), env.Environment, CancellationToken.None);
        var training = temp.Line.Trainer();
        var first = await TrainBenchmark.TrainOnceAsync(training, skill);
        var second = await TrainBenchmark.TrainOnceAsync(training, skill);
        var promotion = temp.Line.Promotion();
        var production = new SkillRef(skill.Name, first.Package.Version);
        await promotion.PromoteAsync(new PromotionRequest(production, "bench"), null, CancellationToken.None);
        Console.WriteLine($"gate benchmark: {Environment.ProcessorCount} cores, seed {seed}, {first.Package.Metrics.TestImages} held-out images, 13 classes, production v{first.Package.Version} top-1 {first.Package.Metrics.Accuracy:F3}");

        // (1) Identical promotions, measured for real.
        var refusals = 0;
        var latencyDeltas = new List<Interval>();
        for (var i = 0; i < identical; i++)
        {
            var result = await promotion.PromoteAsync(new PromotionRequest(new SkillRef(skill.Name, second.Package.Version), "bench", DryRun: true), null, CancellationToken.None);
            if (!result.Decision.Passed) refusals++;
            if (result.Decision.Comparison is { } c) latencyDeltas.Add(c.LatencyDeltaMs);
        }
        Console.WriteLine($"  identical retrain promoted {identical} times: {refusals} refused (goal 0); median latency difference per run from {latencyDeltas.Min(d => d.Estimate):+0.00;-0.00} to {latencyDeltas.Max(d => d.Estimate):+0.00;-0.00} ms, " +
                          $"widest 95% CI {latencyDeltas.Min(d => d.Low):+0.00;-0.00} … {latencyDeltas.Max(d => d.High):+0.00;-0.00} ms");

        // (2) Power and false refusals under churn, on production's real predictions.
        var manifest = (await env.Datasets.GetManifestAsync(first.Package.ManifestId, CancellationToken.None))!;
        using var predictor = SkillPredictor.Create(await env.Skills.LoadAsync(production, null, CancellationToken.None));
        var measured = (await env.Evaluator.MeasureAsync([predictor], manifest, null, CancellationToken.None))[0];
        var truth = measured.Predictions;
        var items = truth.Count;
        var right = truth.Count(p => p.Predicted == p.TrueClass);
        var churn = (int)Math.Round(0.05 * items);
        Console.WriteLine($"  power on {items} real predictions ({right} right), churn {churn} items each way, {trials} candidates per regression size:");
        var gates = new (string Name, GateSettings Gate)[]
        {
            ("default", new GateSettings()),
            ("not-worse", new GateSettings { AccuracyRule = AccuracyRule.NotWorse, MaxClassDrop = null, BalancedAccuracy = false }),
            ("better", new GateSettings { AccuracyRule = AccuracyRule.Better, MaxClassDrop = null, BalancedAccuracy = false }),
            ("point", new GateSettings { AccuracyRule = AccuracyRule.Point, MaxClassDrop = null, BalancedAccuracy = false }),
        };
        Console.WriteLine($"    {"expected loss",-18}" + string.Concat(gates.Select(g => $"{g.Name,11}")) + "   (share of candidates refused)");
        var smallest = new Dictionary<string, int>();
        for (var k = 0; k <= Math.Min(right - churn, items / 3); k += k < 4 ? 1 : 2)
        {
            var refused = gates.ToDictionary(g => g.Name, _ => 0);
            for (var trial = 0; trial < trials; trial++)
            {
                var candidate = Regressed(truth, k, churn, new Random(HashCode.Combine(seed, k, trial)));
                var comparison = PairedStatistics.Compare(candidate, measured.Labels, truth, measured.Labels, new HashSet<string>(), 0.95, seed: trial);
                foreach (var (name, gate) in gates)
                    if (!PromotionGate.Decide(measured.Summary with { Version = 2 }, measured.Summary, comparison, gate).Passed) refused[name]++;
            }
            foreach (var (name, _) in gates)
                if (k > 0 && refused[name] >= 0.95 * trials) smallest.TryAdd(name, k);
            Console.WriteLine($"    {$"{k} items ({100.0 * k / items:F1} pt)",-18}" + string.Concat(gates.Select(g => $"{refused[g.Name] / (double)trials,11:P0}")));
            if (gates.All(g => smallest.ContainsKey(g.Name))) break;
        }
        foreach (var (name, _) in gates)
            Console.WriteLine($"  smallest expected loss refused >= 95% of the time, {name}: " + (smallest.TryGetValue(name, out var v) ? $"{v} items = {100.0 * v / items:F1} points" : "not reached"));
        return refusals == 0 ? 0 : 1;
    }

    /// <summary>Production's predictions after a retrain that loses <paramref name="regression"/> items in
    /// expectation: each right answer turns wrong with probability (churn + regression) / right, each wrong
    /// one turns right with churn / wrong.</summary>
    private static List<Prediction> Regressed(IReadOnlyList<Prediction> production, int regression, int churn, Random random)
    {
        var right = production.Count(p => p.Predicted == p.TrueClass);
        var wrong = production.Count - right;
        var loss = Math.Min(1, (double)(churn + regression) / right);
        var gain = wrong == 0 ? 0 : Math.Min(1, (double)churn / wrong);
        return [.. production.Select(p => p.Predicted == p.TrueClass
            ? random.NextDouble() < loss ? With(p, (p.TrueClass + 1) % p.Probabilities.Count) : p
            : random.NextDouble() < gain ? With(p, p.TrueClass) : p)];
    }

    private static Prediction With(Prediction p, int answer)
    {
        var probabilities = new float[p.Probabilities.Count];
        probabilities[answer] = 0.8f;
        probabilities[(answer + 1) % probabilities.Length] = 0.2f;
        return p with { Probabilities = probabilities };
    }
}
