using Skillmaker.Common;

namespace Skillmaker.Evaluation;

/// <summary>Seeded paired bootstrap and exact McNemar test over two versions' predictions.</summary>
public static class PairedStatistics
{
    public const int DefaultResamples = 4000;
    /// <summary>Latency is bootstrapped over at most this many images (sorting per resample).</summary>
    private const int LatencyImages = 2000;

    private readonly record struct Pair(string ImageId, string Class, bool CandidateRight, bool ProductionRight, string CandidateAnswer, string ProductionAnswer, double CandidateMs, double ProductionMs);

    /// <summary>Compares two versions' predictions on the same items. <paramref name="exclude"/> names
    /// items to leave out (e.g. seen in training by one of them); both lists must cover the same items.</summary>
    public static PairedComparison Compare(
        IReadOnlyList<Prediction> candidate, IReadOnlyList<string> candidateClasses,
        IReadOnlyList<Prediction> production, IReadOnlyList<string> productionClasses,
        IReadOnlySet<string> exclude, double confidence, int seed, int resamples = DefaultResamples)
    {
        if (confidence is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "a confidence level strictly between 0 and 1");
        var byImage = production.ToDictionary(p => p.ImageId, StringComparer.Ordinal);
        if (byImage.Count != candidate.Count || candidate.Any(c => !byImage.ContainsKey(c.ImageId)))
            throw new SkillmakerException($"Candidate and production were not measured on the same items ({candidate.Count} vs {production.Count}); a paired comparison needs both on every item.");
        var pairs = new List<Pair>();
        var excluded = new List<string>();
        foreach (var c in candidate.OrderBy(c => c.ImageId, StringComparer.Ordinal))
        {
            if (exclude.Contains(c.ImageId)) { excluded.Add(c.ImageId); continue; }
            var p = byImage[c.ImageId];
            var truth = candidateClasses[c.TrueClass];
            if (productionClasses[p.TrueClass] != truth)
                throw new SkillmakerException($"Item {c.ImageId} has class '{truth}' for the candidate but '{productionClasses[p.TrueClass]}' for production.");
            pairs.Add(new Pair(c.ImageId, truth, c.Predicted == c.TrueClass, p.Predicted == p.TrueClass,
                candidateClasses[c.Predicted], productionClasses[p.Predicted], c.LatencyMs, p.LatencyMs));
        }
        if (pairs.Count == 0)
            throw new SkillmakerException($"No test item is left to compare: all {excluded.Count} were seen in training by one of the two versions. Evaluate on data neither trained on.");

        var classes = pairs.Select(p => p.Class).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var strata = classes.Select(k => pairs.Where(p => p.Class == k).ToArray()).ToArray();
        var alpha = 1 - confidence;
        var classConfidence = 1 - alpha / classes.Length;

        // Balanced accuracy has no exact test: a stratified bootstrap (every resample keeps each class's
        // item count, so every class's recall is defined in every resample).
        var random = new Random(seed);
        var balanced = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            double recallSum = 0;
            foreach (var s in strata)
            {
                var diff = 0;
                for (var i = 0; i < s.Length; i++)
                {
                    var p = s[random.Next(s.Length)];
                    diff += (p.CandidateRight ? 1 : 0) - (p.ProductionRight ? 1 : 0);
                }
                recallSum += (double)diff / s.Length;
            }
            balanced[b] = recallSum / strata.Length;
        }

        var candidateRight = pairs.Count(p => p.CandidateRight);
        var productionRight = pairs.Count(p => p.ProductionRight);
        var onlyCandidate = pairs.Count(p => p.CandidateRight && !p.ProductionRight);
        var onlyProduction = pairs.Count(p => !p.CandidateRight && p.ProductionRight);
        var recalls = strata.Select(s => (Candidate: s.Average(p => p.CandidateRight ? 1.0 : 0), Production: s.Average(p => p.ProductionRight ? 1.0 : 0))).ToArray();
        var (candidateMs, productionMs, latency) = LatencyDelta(pairs, confidence, seed, resamples);
        return new PairedComparison
        {
            Items = pairs.Count,
            Excluded = excluded,
            CandidateAccuracy = (double)candidateRight / pairs.Count,
            ProductionAccuracy = (double)productionRight / pairs.Count,
            CandidateOnlyRight = onlyCandidate,
            ProductionOnlyRight = onlyProduction,
            McNemarP = McNemarExactP(onlyCandidate, onlyProduction),
            IdenticalAnswers = pairs.All(p => p.CandidateAnswer == p.ProductionAnswer),
            Accuracy = ExactDelta(onlyCandidate, onlyProduction, pairs.Count, confidence),
            BalancedAccuracy = Bounds(recalls.Average(r => r.Candidate - r.Production), balanced, confidence),
            PerClass = [.. classes.Select((k, i) => new ClassDelta(k, strata[i].Length, recalls[i].Candidate, recalls[i].Production,
                ExactDelta(strata[i].Count(p => p.CandidateRight && !p.ProductionRight), strata[i].Count(p => !p.CandidateRight && p.ProductionRight), strata[i].Length, classConfidence)))],
            CandidateLatencyMs = candidateMs,
            ProductionLatencyMs = productionMs,
            LatencyDeltaMs = latency,
            Resamples = resamples,
            Seed = seed,
        };
    }

    /// <summary>Difference of median latencies, paired per image, with a bootstrap interval.</summary>
    private static (double Candidate, double Production, Interval Delta) LatencyDelta(List<Pair> pairs, double confidence, int seed, int resamples)
    {
        var random = new Random(seed ^ 0x5bd1e995);
        var sample = pairs.Count <= LatencyImages ? pairs : [.. pairs.OrderBy(_ => random.Next()).Take(LatencyImages)];
        var n = sample.Count;
        var candidate = new double[n];
        var production = new double[n];
        var deltas = new double[Math.Min(resamples, 1000)];
        for (var b = 0; b < deltas.Length; b++)
        {
            for (var i = 0; i < n; i++)
            {
                var p = sample[random.Next(n)];
                candidate[i] = p.CandidateMs;
                production[i] = p.ProductionMs;
            }
            deltas[b] = Median(candidate) - Median(production);
        }
        var candidateMedian = Median([.. sample.Select(p => p.CandidateMs)]);
        var productionMedian = Median([.. sample.Select(p => p.ProductionMs)]);
        return (candidateMedian, productionMedian, Bounds(candidateMedian - productionMedian, deltas, confidence));
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>Percentile interval of the resampled statistic around the observed estimate.</summary>
    private static Interval Bounds(double estimate, double[] resampled, double confidence)
    {
        var sorted = (double[])resampled.Clone();
        Array.Sort(sorted);
        var tail = (1 - confidence) / 2;
        double At(double q) => sorted[Math.Clamp((int)Math.Floor(q * (sorted.Length - 1) + 0.5), 0, sorted.Length - 1)];
        return new Interval(estimate, Math.Min(estimate, At(tail)), Math.Max(estimate, At(1 - tail)), confidence);
    }

    /// <summary>Interval of an accuracy difference on paired items, exact and conditional on the discordant
    /// items (the interval that goes with McNemar's exact test): given m items where exactly one model is
    /// right, the candidate's share θ of them is binomial, its Clopper–Pearson interval is exact, and the
    /// difference is m/n·(2θ − 1). Conservative on small test sets, where a bootstrap would be too narrow.</summary>
    public static Interval ExactDelta(int candidateOnlyRight, int productionOnlyRight, int items, double confidence)
    {
        var m = candidateOnlyRight + productionOnlyRight;
        var estimate = (double)(candidateOnlyRight - productionOnlyRight) / items;
        if (m == 0) return new Interval(0, 0, 0, confidence);
        var tail = (1 - confidence) / 2;
        var b = candidateOnlyRight;
        var logFactorial = LogFactorials(m);
        // P(X ≥ b; θ) grows with θ; P(X ≤ b; θ) falls with θ.
        var low = b == 0 ? 0 : Bisect(theta => 1 - BinomialCdf(b - 1, m, theta, logFactorial) - tail);
        var high = b == m ? 1 : Bisect(theta => tail - BinomialCdf(b, m, theta, logFactorial));
        var share = (double)m / items;
        return new Interval(estimate, Math.Min(estimate, share * (2 * low - 1)), Math.Max(estimate, share * (2 * high - 1)), confidence);
    }

    /// <summary>Exact (Clopper–Pearson) interval of a share: <paramref name="successes"/> of <paramref name="trials"/>.</summary>
    public static Interval Proportion(int successes, int trials, double confidence)
    {
        if (trials == 0) return new Interval(0, 0, 1, confidence);
        var tail = (1 - confidence) / 2;
        var logFactorial = LogFactorials(trials);
        var low = successes == 0 ? 0 : Bisect(theta => 1 - BinomialCdf(successes - 1, trials, theta, logFactorial) - tail);
        var high = successes == trials ? 1 : Bisect(theta => tail - BinomialCdf(successes, trials, theta, logFactorial));
        var estimate = (double)successes / trials;
        return new Interval(estimate, Math.Min(estimate, low), Math.Max(estimate, high), confidence);
    }

    /// <summary>The root in (0, 1) of an increasing function that is negative at 0 and positive at 1.</summary>
    private static double Bisect(Func<double, double> increasing)
    {
        double lo = 0, hi = 1;
        for (var i = 0; i < 60; i++)
        {
            var mid = (lo + hi) / 2;
            if (increasing(mid) < 0) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, p), summed in log space (so large n does not overflow);
    /// <paramref name="logFactorial"/> holds ln i! for i ≤ n.</summary>
    private static double BinomialCdf(int k, int n, double p, double[] logFactorial)
    {
        if (k < 0) return 0;
        if (k >= n) return 1;
        if (p <= 0) return 1;
        if (p >= 1) return 0;
        double sum = 0;
        for (var i = 0; i <= k; i++)
            sum += Math.Exp(logFactorial[n] - logFactorial[i] - logFactorial[n - i] + i * Math.Log(p) + (n - i) * Math.Log(1 - p));
        return Math.Min(1, sum);
    }

    private static double[] LogFactorials(int n)
    {
        var logFactorial = new double[n + 1];
        for (var i = 1; i <= n; i++) logFactorial[i] = logFactorial[i - 1] + Math.Log(i);
        return logFactorial;
    }

    /// <summary>Exact two-sided McNemar test: under "no difference" each discordant item is a fair coin.</summary>
    public static double McNemarExactP(int b, int c)
    {
        var n = b + c;
        if (n == 0) return 1;
        return Math.Min(1, 2 * BinomialCdf(Math.Min(b, c), n, 0.5, LogFactorials(n)));
    }
}
