namespace Skillmaker.Evaluation;

/// <summary>What the model said about one test image.</summary>
public sealed record Prediction(string ImageId, int TrueClass, IReadOnlyList<float> Probabilities, double LatencyMs)
{
    public int Predicted
    {
        get
        {
            var best = 0;
            for (var i = 1; i < Probabilities.Count; i++) if (Probabilities[i] > Probabilities[best]) best = i;
            return best;
        }
    }

    /// <summary>1-based rank of the true class among the probabilities (1 = top-1 hit).</summary>
    public int RankOfTrue => 1 + Probabilities.Count(p => p > Probabilities[TrueClass]);
}

public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

public sealed record Failure(string ImageId, string TrueClass, string PredictedClass, double PredictedProbability, double TrueProbability);

/// <summary>One confidence bin of the reliability diagram: the images whose top answer's probability fell in
/// [<paramref name="From"/>, <paramref name="To"/>), their mean confidence and the share answered right.</summary>
public sealed record CalibrationBin(double From, double To, int Images, double Confidence, double Accuracy);

/// <summary>Per-image latency of an evaluation on its machine, in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P90, double P95, double P99, double Max, double Mean);

/// <summary>An immutable evaluation of one skill version on one manifest's test split, on one machine.</summary>
public sealed record EvaluationSummary
{
    public required string Skill { get; init; }
    public required int Version { get; init; }
    public required string ManifestId { get; init; }
    public required DateTimeOffset EvaluatedAt { get; init; }
    public required string Machine { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required int Images { get; init; }
    public required double Accuracy { get; init; }
    public required double BalancedAccuracy { get; init; }
    /// <summary>Top-k accuracy for k = 1..min(5, classes).</summary>
    public required IReadOnlyList<double> TopK { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>Rows are true classes, columns predicted classes, in <see cref="Classes"/> order.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }
    /// <summary>Expected calibration error over 10 equal-width confidence bins.</summary>
    public required double CalibrationError { get; init; }
    public required double LatencyP50Ms { get; init; }
    public required double LatencyP95Ms { get; init; }
    public required IReadOnlyList<Failure> Failures { get; init; }
    /// <summary>The reliability diagram behind <see cref="CalibrationError"/> (10 equal-width bins, empty ones
    /// included); null in evaluations recorded before it was kept.</summary>
    public IReadOnlyList<CalibrationBin>? Reliability { get; init; }
    /// <summary>Latency percentiles; null in evaluations recorded before they were kept (p50 and p95 are above).</summary>
    public LatencySummary? Latency { get; init; }
}

public static class EvaluationMetrics
{
    public const int CalibrationBins = 10;

    public static EvaluationSummary Summarize(string skill, int version, string manifestId, DateTimeOffset at, string machine, IReadOnlyList<string> classes, IReadOnlyList<Prediction> predictions)
    {
        if (predictions.Count == 0) throw new Common.SkillmakerException($"Nothing to evaluate: manifest {manifestId} has no test images for {skill}.");
        var k = classes.Count;
        var confusion = new int[k, k];
        foreach (var p in predictions)
        {
            if (p.Probabilities.Count != k)
                throw new Common.SkillmakerException($"Prediction for {p.ImageId} has {p.Probabilities.Count} probabilities; the skill has {k} classes.");
            confusion[p.TrueClass, p.Predicted]++;
        }
        var perClass = new List<ClassMetrics>();
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c, c];
            var support = Enumerable.Range(0, k).Sum(j => confusion[c, j]);
            var predicted = Enumerable.Range(0, k).Sum(i => confusion[i, c]);
            var precision = predicted == 0 ? 0 : (double)tp / predicted;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classes[c], precision, recall, f1, support));
        }
        var present = perClass.Where(c => c.Support > 0).ToList();
        var topK = Enumerable.Range(1, Math.Min(5, k)).Select(n => predictions.Count(p => p.RankOfTrue <= n) / (double)predictions.Count).ToList();
        var latencies = predictions.Select(p => p.LatencyMs).Order().ToArray();
        return new EvaluationSummary
        {
            Skill = skill,
            Version = version,
            ManifestId = manifestId,
            EvaluatedAt = at,
            Machine = machine,
            Classes = classes,
            Images = predictions.Count,
            Accuracy = topK[0],
            BalancedAccuracy = present.Count == 0 ? 0 : present.Average(c => c.Recall),
            TopK = topK,
            PerClass = perClass,
            ConfusionMatrix = [.. Enumerable.Range(0, k).Select(i => (IReadOnlyList<int>)[.. Enumerable.Range(0, k).Select(j => confusion[i, j])])],
            CalibrationError = CalibrationErrorOf(predictions),
            LatencyP50Ms = Percentile(latencies, 0.50),
            LatencyP95Ms = Percentile(latencies, 0.95),
            Reliability = ReliabilityOf(predictions),
            Latency = new LatencySummary(Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.95), Percentile(latencies, 0.99),
                latencies[^1], latencies.Average()),
            Failures = [.. predictions.Where(p => p.Predicted != p.TrueClass)
                .OrderByDescending(p => p.Probabilities[p.Predicted]).ThenBy(p => p.ImageId, StringComparer.Ordinal)
                .Select(p => new Failure(p.ImageId, classes[p.TrueClass], classes[p.Predicted], p.Probabilities[p.Predicted], p.Probabilities[p.TrueClass]))],
        };
    }

    /// <summary>Mean |accuracy − confidence| over confidence bins, weighted by the share of images in each.</summary>
    public static double CalibrationErrorOf(IReadOnlyList<Prediction> predictions) =>
        ReliabilityOf(predictions).Where(b => b.Images > 0).Sum(b => (double)b.Images / predictions.Count * Math.Abs(b.Accuracy - b.Confidence));

    /// <summary>The reliability diagram: <see cref="CalibrationBins"/> equal-width bins of the top answer's probability.</summary>
    public static IReadOnlyList<CalibrationBin> ReliabilityOf(IReadOnlyList<Prediction> predictions)
    {
        var bins = new (double Confidence, int Correct, int Count)[CalibrationBins];
        foreach (var p in predictions)
        {
            var confidence = p.Probabilities[p.Predicted];
            var bin = Math.Min(CalibrationBins - 1, (int)(confidence * CalibrationBins));
            bins[bin] = (bins[bin].Confidence + confidence, bins[bin].Correct + (p.Predicted == p.TrueClass ? 1 : 0), bins[bin].Count + 1);
        }
        return [.. bins.Select((b, i) => new CalibrationBin((double)i / CalibrationBins, (double)(i + 1) / CalibrationBins, b.Count,
            b.Count == 0 ? 0 : b.Confidence / b.Count, b.Count == 0 ? 0 : (double)b.Correct / b.Count))];
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
