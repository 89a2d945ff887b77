namespace Skillmaker.Crowd;

/// <summary>One worker's answer to one item's question.</summary>
public readonly record struct Vote(string Item, string Worker, string Answer);

/// <summary>A consolidated answer: <see cref="CrowdQuestions.Unsure"/> when the crowd did not agree.</summary>
public sealed record Consensus(string Answer, double Confidence, int Votes);

/// <summary>Plain majority: the most voted answer wins; a tie for first place ends unsure.</summary>
public static class MajorityVote
{
    public static IReadOnlyDictionary<string, Consensus> Consolidate(IEnumerable<Vote> votes)
    {
        var result = new Dictionary<string, Consensus>(StringComparer.Ordinal);
        foreach (var item in votes.GroupBy(v => v.Item, StringComparer.Ordinal))
        {
            var counts = item.GroupBy(v => v.Answer, StringComparer.Ordinal).Select(g => (Answer: g.Key, Count: g.Count()))
                .OrderByDescending(c => c.Count).ThenBy(c => c.Answer, StringComparer.Ordinal).ToList();
            var total = item.Count();
            var tie = counts.Count > 1 && counts[0].Count == counts[1].Count;
            result[item.Key] = tie
                ? new Consensus(CrowdQuestions.Unsure, (double)counts[0].Count / total, total)
                : new Consensus(counts[0].Answer, (double)counts[0].Count / total, total);
        }
        return result;
    }
}

/// <summary>A worker's learned confusion matrix: P(answer | true class).</summary>
public sealed record WorkerConfusion(string Worker, IReadOnlyList<string> TrueClasses, IReadOnlyList<string> Answers, double[,] Probabilities)
{
    public double P(string trueClass, string answer) =>
        Probabilities[IndexOf(TrueClasses, trueClass), IndexOf(Answers, answer)];

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        throw new ArgumentException($"'{value}' is not one of {string.Join(", ", list)}.", nameof(value));
    }
}

public sealed record DawidSkeneResult(
    IReadOnlyDictionary<string, Consensus> Items,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Posteriors,
    IReadOnlyDictionary<string, WorkerConfusion> Workers,
    IReadOnlyDictionary<string, double> ClassPriors,
    int Iterations);

/// <summary>Dawid &amp; Skene (1979) expectation–maximisation: learns each worker's confusion matrix
/// and the class priors, and gives every item a posterior over the true classes. A worker who is
/// consistently wrong in a known way (always answers B for A) still carries information, which plain
/// majority throws away. "Unsure" is an answer a worker may give but never a true class; known (gold)
/// answers are clamped, which anchors the confusion matrices.</summary>
public static class DawidSkene
{
    public static DawidSkeneResult Consolidate(
        IEnumerable<Vote> votes,
        IReadOnlyList<string> answerValues,
        IReadOnlyDictionary<string, string>? known = null,
        double minPosterior = 0.6,
        int maxIterations = 200,
        double tolerance = 1e-7)
    {
        var all = votes.ToList();
        var classes = answerValues.Where(a => a != CrowdQuestions.Unsure).ToList();
        var answers = answerValues.ToList();
        var items = all.Select(v => v.Item).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var workers = all.Select(v => v.Worker).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var itemIndex = items.Select((x, i) => (x, i)).ToDictionary(p => p.x, p => p.i, StringComparer.Ordinal);
        var workerIndex = workers.Select((x, i) => (x, i)).ToDictionary(p => p.x, p => p.i, StringComparer.Ordinal);
        var answerIndex = answers.Select((x, i) => (x, i)).ToDictionary(p => p.x, p => p.i, StringComparer.Ordinal);
        int K = classes.Count, L = answers.Count, I = items.Count, J = workers.Count;
        var obs = all.Select(v => (I: itemIndex[v.Item], J: workerIndex[v.Worker], L: answerIndex.TryGetValue(v.Answer, out var l) ? l
            : throw new ArgumentException($"Answer '{v.Answer}' of worker {v.Worker} on {v.Item} is not one of {string.Join(", ", answers)}.", nameof(votes)))).ToList();

        // Start from the vote shares (unsure votes carry no class); gold items are fixed.
        var t = new double[I, K];
        var clamped = new bool[I];
        foreach (var (i, _, l) in obs)
            if (answers[l] != CrowdQuestions.Unsure) t[i, classes.IndexOf(answers[l])] += 1;
        for (var i = 0; i < I; i++)
        {
            if (known is not null && known.TryGetValue(items[i], out var k) && classes.Contains(k))
            {
                for (var c = 0; c < K; c++) t[i, c] = c == classes.IndexOf(k) ? 1 : 0;
                clamped[i] = true;
                continue;
            }
            Normalise(t, i, K);
        }

        var pi = new double[J, K, L];
        var prior = new double[K];
        var iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            // M-step, with a little smoothing so that an unseen answer is unlikely, not impossible.
            const double smoothing = 0.01;
            Array.Clear(pi);
            for (var j = 0; j < J; j++) for (var c = 0; c < K; c++) for (var l = 0; l < L; l++) pi[j, c, l] = smoothing;
            foreach (var (i, j, l) in obs) for (var c = 0; c < K; c++) pi[j, c, l] += t[i, c];
            for (var j = 0; j < J; j++) for (var c = 0; c < K; c++)
            {
                double sum = 0;
                for (var l = 0; l < L; l++) sum += pi[j, c, l];
                for (var l = 0; l < L; l++) pi[j, c, l] /= sum;
            }
            for (var c = 0; c < K; c++)
            {
                prior[c] = smoothing;
                for (var i = 0; i < I; i++) prior[c] += t[i, c];
            }
            var priorSum = prior.Sum();
            for (var c = 0; c < K; c++) prior[c] /= priorSum;

            // E-step in log space.
            var log = new double[I, K];
            for (var i = 0; i < I; i++) for (var c = 0; c < K; c++) log[i, c] = Math.Log(prior[c]);
            foreach (var (i, j, l) in obs) for (var c = 0; c < K; c++) log[i, c] += Math.Log(pi[j, c, l]);
            double change = 0;
            for (var i = 0; i < I; i++)
            {
                if (clamped[i]) continue;
                var max = double.NegativeInfinity;
                for (var c = 0; c < K; c++) max = Math.Max(max, log[i, c]);
                double sum = 0;
                var next = new double[K];
                for (var c = 0; c < K; c++) sum += next[c] = Math.Exp(log[i, c] - max);
                for (var c = 0; c < K; c++)
                {
                    next[c] /= sum;
                    change = Math.Max(change, Math.Abs(next[c] - t[i, c]));
                    t[i, c] = next[c];
                }
            }
            if (change < tolerance) { iterations++; break; }
        }

        var consensus = new Dictionary<string, Consensus>(StringComparer.Ordinal);
        var posteriors = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        var voteCounts = obs.GroupBy(o => o.I).ToDictionary(g => g.Key, g => g.Count());
        var informative = obs.Where(o => answers[o.L] != CrowdQuestions.Unsure).Select(o => o.I).ToHashSet();
        for (var i = 0; i < I; i++)
        {
            var post = new Dictionary<string, double>(StringComparer.Ordinal);
            var best = 0;
            for (var c = 0; c < K; c++)
            {
                post[classes[c]] = t[i, c];
                if (t[i, c] > t[i, best]) best = c;
            }
            posteriors[items[i]] = post;
            var sure = (informative.Contains(i) || clamped[i]) && t[i, best] >= minPosterior;
            consensus[items[i]] = new Consensus(sure ? classes[best] : CrowdQuestions.Unsure, t[i, best], voteCounts.GetValueOrDefault(i));
        }
        var confusions = new Dictionary<string, WorkerConfusion>(StringComparer.Ordinal);
        for (var j = 0; j < J; j++)
        {
            var m = new double[K, L];
            for (var c = 0; c < K; c++) for (var l = 0; l < L; l++) m[c, l] = pi[j, c, l];
            confusions[workers[j]] = new WorkerConfusion(workers[j], classes, answers, m);
        }
        return new DawidSkeneResult(consensus, posteriors, confusions,
            classes.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => prior[p.k], StringComparer.Ordinal), iterations);
    }

    private static void Normalise(double[,] t, int i, int k)
    {
        double sum = 0;
        for (var c = 0; c < k; c++) sum += t[i, c];
        for (var c = 0; c < k; c++) t[i, c] = sum > 0 ? t[i, c] / sum : 1.0 / k;
    }
}
