namespace Skillmaker.Crowd;

/// <summary>One worker's answer to one item's question.</summary>
public readonly record struct Vote(string Item, string Worker, string Answer);

/// <summary>A consolidated answer: <see cref="CrowdQuestions.Unsure"/> when the crowd did not agree.
/// <see cref="Confidence"/> is the share of votes (majority) or the posterior of the answer (the other
/// methods); <see cref="Basis"/> says which rule decided the item.</summary>
public sealed record Consensus(string Answer, double Confidence, int Votes, string Basis = Consolidation.MajorityBasis);

/// <summary>How careful consolidation is. The defaults were chosen from the simulation in
/// bench/Skillmaker.Bench/CrowdBenchmark.cs (docs/crowd.md has the figures).</summary>
public sealed record ConsolidationSettings
{
    /// <summary>An item whose best answer has less confidence than this ends unsure. Default 0.6.</summary>
    public double MinConfidence { get; init; } = 0.6;
    /// <summary>Dawid–Skene decides an item only when every worker who answered it has at least this many
    /// answers in all (a confusion matrix learned from a handful of answers is noise that looks like
    /// certainty); other items get the gold-weighted majority. Default 20.</summary>
    public int MinWorkerAnswers { get; init; } = 20;
    /// <summary>What a worker is assumed to get right before gold says otherwise. Default 0.7.</summary>
    public double PriorAccuracy { get; init; } = 0.7;
    /// <summary>How many answers that assumption weighs (a Beta / Dirichlet prior). Default 4.</summary>
    public double PriorStrength { get; init; } = 4;
    /// <summary>Weighted majority: a wrong worker's answer is assumed to fall among this many classes.
    /// Real mistakes cluster (exterior taken for close-up), so two workers agreeing on a wrong class is
    /// far likelier than "any of 6 other classes at random" says; 2 keeps the confidence honest. Default 2.</summary>
    public double ErrorClasses { get; init; } = 2;
    /// <summary>Dawid–Skene: each answer's evidence is scaled by this (below 1 when workers' mistakes on
    /// the same crop go together, as they do on hard crops). 0.7 was the best calibrated in the
    /// simulation; 0.5 let the model swap classes in a bad crowd. Default 0.7.</summary>
    public double EvidenceWeight { get; init; } = 0.7;
}

/// <summary>Turns votes into one answer per item with one of the <see cref="ConsolidationMethod"/>s. Every
/// method obeys the same three rules: the answer is one somebody gave (or the gold answer); when most
/// workers said unsure, or the best answer is not clearly ahead, the item ends unsure; and the
/// confidence is what the method really believes, never rounded up.</summary>
public static class Consolidation
{
    public const string MajorityBasis = "majority";
    public const string WeightedBasis = "weighted-majority";
    public const string DawidSkeneBasis = "dawid-skene";

    public static IReadOnlyDictionary<string, Consensus> Run(
        ConsolidationMethod method,
        IReadOnlyList<Vote> votes,
        IReadOnlyList<string> answerValues,
        IReadOnlyDictionary<string, string>? known,
        ConsolidationSettings settings)
    {
        known ??= new Dictionary<string, string>(StringComparer.Ordinal);
        switch (method)
        {
            case ConsolidationMethod.Majority:
                return MajorityVote.Consolidate(votes);
            case ConsolidationMethod.WeightedMajority:
                return WeightedMajority.Consolidate(votes, answerValues, WorkerAccuracy.FromGold(votes, known, settings), settings);
            default:
                var weighted = WeightedMajority.Consolidate(votes, answerValues, WorkerAccuracy.FromGold(votes, known, settings), settings);
                var perWorker = votes.GroupBy(v => v.Worker, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                var experienced = votes.GroupBy(v => v.Item, StringComparer.Ordinal)
                    .Where(g => g.All(v => perWorker[v.Worker] >= settings.MinWorkerAnswers)).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
                if (experienced.Count == 0) return weighted;
                var ds = DawidSkene.Consolidate(votes, answerValues, known, settings.MinConfidence, settings.PriorAccuracy, settings.PriorStrength, settings.EvidenceWeight);
                return weighted.ToDictionary(kv => kv.Key, kv => experienced.Contains(kv.Key) ? ds.Items[kv.Key] : kv.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>More than half of the item's workers gave a real answer (not unsure).</summary>
    internal static bool MostAnswered(int informative, int total) => informative * 2 > total;
}

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
            // An unsure result's confidence is the share of the best real answer, not of "unsure".
            var bestReal = counts.Where(c => c.Answer != CrowdQuestions.Unsure).Select(c => c.Count).DefaultIfEmpty(0).Max();
            result[item.Key] = tie || counts[0].Answer == CrowdQuestions.Unsure
                ? new Consensus(CrowdQuestions.Unsure, (double)bestReal / total, total)
                : new Consensus(counts[0].Answer, (double)counts[0].Count / total, total);
        }
        return result;
    }
}

/// <summary>Each worker's chance of being right, from their answers to gold items, pulled towards
/// <see cref="ConsolidationSettings.PriorAccuracy"/> while they have answered few (a Beta prior).</summary>
public static class WorkerAccuracy
{
    public static IReadOnlyDictionary<string, double> FromGold(IEnumerable<Vote> votes, IReadOnlyDictionary<string, string> known, ConsolidationSettings settings) =>
        votes.GroupBy(v => v.Worker, StringComparer.Ordinal).ToDictionary(g => g.Key, g =>
        {
            var onGold = g.Where(v => known.ContainsKey(v.Item)).ToList();
            var right = onGold.Count(v => v.Answer == known[v.Item]);
            return (right + settings.PriorAccuracy * settings.PriorStrength) / (onGold.Count + settings.PriorStrength);
        }, StringComparer.Ordinal);
}

/// <summary>Majority where each vote weighs what its worker's gold accuracy is worth: the posterior of a
/// class under "a worker is right with probability p, else picks any other class". A worker no better
/// than chance weighs nothing; unsure votes carry no class. With equal accuracies this is majority
/// with an honest posterior instead of a vote share.</summary>
public static class WeightedMajority
{
    public static IReadOnlyDictionary<string, Consensus> Consolidate(
        IEnumerable<Vote> votes, IReadOnlyList<string> answerValues, IReadOnlyDictionary<string, double> accuracy, ConsolidationSettings settings)
    {
        var classes = answerValues.Where(a => a != CrowdQuestions.Unsure).ToList();
        var k = classes.Count;
        var result = new Dictionary<string, Consensus>(StringComparer.Ordinal);
        foreach (var item in votes.GroupBy(v => v.Item, StringComparer.Ordinal))
        {
            var all = item.ToList();
            var informative = all.Where(v => v.Answer != CrowdQuestions.Unsure).ToList();
            if (!Consolidation.MostAnswered(informative.Count, all.Count))
            {
                result[item.Key] = new Consensus(CrowdQuestions.Unsure, 0, all.Count, Consolidation.WeightedBasis);
                continue;
            }
            var log = new double[k];
            foreach (var v in informative)
            {
                var p = Math.Clamp(accuracy.TryGetValue(v.Worker, out var a) ? a : settings.PriorAccuracy, 1.0 / k, 0.99);
                var voted = classes.IndexOf(v.Answer);
                if (voted < 0) throw new ArgumentException($"Answer '{v.Answer}' of worker {v.Worker} on {v.Item} is not one of {string.Join(", ", answerValues)}.", nameof(votes));
                var spread = Math.Clamp(settings.ErrorClasses, 1, k - 1);
                p = Math.Max(p, 1.0 / (spread + 1));
                for (var c = 0; c < k; c++) log[c] += c == voted ? Math.Log(p) : Math.Log((1 - p) / spread);
            }
            var posterior = Softmax(log);
            result[item.Key] = Decide(posterior, classes, informative.Select(v => v.Answer), settings.MinConfidence, all.Count, Consolidation.WeightedBasis);
        }
        return result;
    }

    internal static double[] Softmax(double[] log)
    {
        var max = log.Max();
        var e = log.Select(x => Math.Exp(x - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(x => x / sum)];
    }

    /// <summary>The best class among those somebody voted for; unsure when it is below the confidence
    /// asked for or tied with another voted class.</summary>
    internal static Consensus Decide(IReadOnlyList<double> posterior, IReadOnlyList<string> classes, IEnumerable<string> given, double minConfidence, int votes, string basis)
    {
        var candidates = given.Distinct(StringComparer.Ordinal).Select(a => (Answer: a, P: posterior[IndexOf(classes, a)]))
            .OrderByDescending(c => c.P).ThenBy(c => c.Answer, StringComparer.Ordinal).ToList();
        if (candidates.Count == 0) return new Consensus(CrowdQuestions.Unsure, 0, votes, basis);
        var best = candidates[0];
        var tie = candidates.Count > 1 && candidates[1].P >= best.P - 1e-9;
        return new Consensus(!tie && best.P >= minConfidence ? best.Answer : CrowdQuestions.Unsure, best.P, votes, basis);
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        throw new ArgumentException($"'{value}' is not one of {string.Join(", ", list)}.", nameof(value));
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
/// answers are clamped, which anchors the confusion matrices. Each confusion row starts from a
/// Dirichlet prior worth <c>priorStrength</c> answers at <c>priorAccuracy</c>, so a worker seen a few
/// times is not taken for a perfect witness. The answer is always one that somebody gave; its
/// confidence is its posterior (not renormalised over the answers given).</summary>
public static class DawidSkene
{
    public static DawidSkeneResult Consolidate(
        IEnumerable<Vote> votes,
        IReadOnlyList<string> answerValues,
        IReadOnlyDictionary<string, string>? known = null,
        double minPosterior = 0.6,
        double priorAccuracy = 0.7,
        double priorStrength = 4,
        double evidenceWeight = 1,
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

        // The prior of one confusion row: priorAccuracy on the matching answer, the rest spread evenly.
        var rowPrior = new double[K, L];
        for (var c = 0; c < K; c++) for (var l = 0; l < L; l++)
            rowPrior[c, l] = 0.01 + priorStrength * (answers[l] == classes[c] ? priorAccuracy : (1 - priorAccuracy) / (L - 1));

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
            // M-step: expected counts on top of the prior.
            for (var j = 0; j < J; j++) for (var c = 0; c < K; c++) for (var l = 0; l < L; l++) pi[j, c, l] = rowPrior[c, l];
            foreach (var (i, j, l) in obs) for (var c = 0; c < K; c++) pi[j, c, l] += t[i, c];
            for (var j = 0; j < J; j++) for (var c = 0; c < K; c++)
            {
                double sum = 0;
                for (var l = 0; l < L; l++) sum += pi[j, c, l];
                for (var l = 0; l < L; l++) pi[j, c, l] /= sum;
            }
            for (var c = 0; c < K; c++)
            {
                prior[c] = 0.01;
                for (var i = 0; i < I; i++) prior[c] += t[i, c];
            }
            var priorSum = prior.Sum();
            for (var c = 0; c < K; c++) prior[c] /= priorSum;

            // E-step in log space.
            var log = new double[I, K];
            for (var i = 0; i < I; i++) for (var c = 0; c < K; c++) log[i, c] = Math.Log(prior[c]);
            foreach (var (i, j, l) in obs) for (var c = 0; c < K; c++) log[i, c] += evidenceWeight * Math.Log(pi[j, c, l]);
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
        var byItem = obs.ToLookup(o => o.I);
        for (var i = 0; i < I; i++)
        {
            var post = new double[K];
            for (var c = 0; c < K; c++) post[c] = t[i, c];
            posteriors[items[i]] = classes.Select((c, n) => (c, n)).ToDictionary(p => p.c, p => post[p.n], StringComparer.Ordinal);
            var mine = byItem[i].ToList();
            var given = mine.Where(o => answers[o.L] != CrowdQuestions.Unsure).Select(o => answers[o.L]).ToList();
            if (clamped[i])
            {
                var gold = known![items[i]];
                consensus[items[i]] = new Consensus(gold, 1, mine.Count, "gold");
            }
            else if (!Consolidation.MostAnswered(given.Count, mine.Count))
                consensus[items[i]] = new Consensus(CrowdQuestions.Unsure, given.Count == 0 ? 0 : given.Max(a => post[classes.IndexOf(a)]), mine.Count, Consolidation.DawidSkeneBasis);
            else
                consensus[items[i]] = WeightedMajority.Decide(post, classes, given, minPosterior, mine.Count, Consolidation.DawidSkeneBasis);
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
