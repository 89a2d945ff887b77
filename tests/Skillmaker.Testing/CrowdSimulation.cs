using Skillmaker.Crowd;

namespace Skillmaker.Testing;

/// <summary>Kinds of simulated crowd workers.</summary>
public enum SimulatedWorker
{
    /// <summary>Right about 9 times in 10 on clear crops, about half the time on hard ones; mistakes go
    /// mostly to the class the crop could be confused with; says unsure now and then on hard crops.</summary>
    Good,
    /// <summary>Any answer, unsure included, with equal chance.</summary>
    Random,
    /// <summary>Consistently wrong: answers a fixed other class for each true class (9 times in 10).</summary>
    Adversarial,
    /// <summary>Always the same answer (the most common class).</summary>
    Lazy,
}

/// <summary>A crowd with known truth: items with a true class, workers of known kinds, each item answered
/// by <c>overlap</c> distinct workers, plus gold items every worker answers.</summary>
public sealed record CrowdScenario(string Name, int Items, int Gold, int Overlap, IReadOnlyList<SimulatedWorker> Workers, double HardShare = 0.2)
{
    /// <summary>True-class shares of the content question, roughly as on car photos.</summary>
    public static readonly IReadOnlyList<(string Class, double Share)> Classes =
    [
        ("exterior", 0.40), ("close-up", 0.20), ("interior", 0.15), ("wheel", 0.08),
        ("close-up-text", 0.07), ("obstructed", 0.05), ("opening-mechanism", 0.05),
    ];

    /// <summary>The class each class is most often confused with.</summary>
    private static readonly Dictionary<string, string> Confusable = new(StringComparer.Ordinal)
    {
        ["exterior"] = "close-up", ["close-up"] = "exterior", ["interior"] = "opening-mechanism", ["wheel"] = "close-up",
        ["close-up-text"] = "close-up", ["obstructed"] = "exterior", ["opening-mechanism"] = "close-up",
    };

    public static IReadOnlyList<string> AnswerValues => [.. Classes.Select(c => c.Class), CrowdQuestions.Unsure];

    public static IReadOnlyList<SimulatedWorker> Crowd(int good, int random = 0, int adversarial = 0, int lazy = 0) =>
        [.. Enumerable.Repeat(SimulatedWorker.Good, good), .. Enumerable.Repeat(SimulatedWorker.Random, random),
         .. Enumerable.Repeat(SimulatedWorker.Adversarial, adversarial), .. Enumerable.Repeat(SimulatedWorker.Lazy, lazy)];

    /// <summary>Draws truth and answers with a fixed seed.</summary>
    public SimulatedCrowd Simulate(int seed)
    {
        var random = new Random(seed);
        var names = Workers.Select((kind, i) => $"{kind.ToString().ToLowerInvariant()}-{i}").ToList();
        var classes = Classes.Select(c => c.Class).ToList();
        var answerValues = AnswerValues;
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        var gold = new Dictionary<string, string>(StringComparer.Ordinal);
        var votes = new List<Vote>();
        string Draw()
        {
            var x = random.NextDouble();
            foreach (var (c, share) in Classes) if ((x -= share) < 0) return c;
            return Classes[^1].Class;
        }
        string Answer(SimulatedWorker kind, string t, bool hard)
        {
            var x = random.NextDouble();
            switch (kind)
            {
                case SimulatedWorker.Random: return answerValues[random.Next(answerValues.Count)];
                case SimulatedWorker.Lazy: return "exterior";
                case SimulatedWorker.Adversarial: return x < 0.9 ? classes[(classes.IndexOf(t) + 1) % classes.Count] : t;
                default:
                    var (right, confused, unsure) = hard ? (0.5, 0.3, 0.1) : (0.9, 0.06, 0.01);
                    if (x < right) return t;
                    if ((x -= right) < confused) return Confusable[t];
                    if ((x -= confused) < unsure) return CrowdQuestions.Unsure;
                    var others = classes.Where(c => c != t).ToList();
                    return others[random.Next(others.Count)];
            }
        }
        for (var i = 0; i < Items + Gold; i++)
        {
            var id = i < Gold ? $"gold{i:D4}" : $"item{i - Gold:D4}";
            var t = Draw();
            var hard = random.NextDouble() < HardShare;
            if (i < Gold) gold[id] = t; else truth[id] = t;
            var who = i < Gold ? Enumerable.Range(0, names.Count).ToList()
                : Enumerable.Range(0, names.Count).OrderBy(_ => random.Next()).Take(Math.Min(Overlap, names.Count)).ToList();
            foreach (var w in who) votes.Add(new Vote(id, names[w], Answer(Workers[w], t, hard)));
        }
        return new SimulatedCrowd(this, votes, truth, gold);
    }
}

/// <summary>One simulated crowd: its votes, the truth of the items to decide, and the gold items.</summary>
public sealed record SimulatedCrowd(CrowdScenario Scenario, IReadOnlyList<Vote> Votes, IReadOnlyDictionary<string, string> Truth, IReadOnlyDictionary<string, string> Gold)
{
    /// <summary>How a method did against the truth.</summary>
    public ConsolidationScore Score(IReadOnlyDictionary<string, Consensus> result)
    {
        var decided = Truth.Where(kv => result[kv.Key].Answer != CrowdQuestions.Unsure).ToList();
        var correct = decided.Count(kv => result[kv.Key].Answer == kv.Value);
        var given = Votes.GroupBy(v => v.Item, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(v => v.Answer).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var notGiven = Truth.Keys.Count(k => result[k].Answer != CrowdQuestions.Unsure && !given[k].Contains(result[k].Answer));
        var confidentWrong = decided.Count(kv => result[kv.Key].Confidence >= 0.9 && result[kv.Key].Answer != kv.Value);
        // Expected calibration error over the decided items, 10 equal-width confidence bins.
        var ece = decided.Count == 0 ? 0 : decided.GroupBy(kv => Math.Min(9, (int)(result[kv.Key].Confidence * 10)))
            .Sum(bin => Math.Abs(bin.Average(kv => result[kv.Key].Confidence) - bin.Average(kv => result[kv.Key].Answer == kv.Value ? 1.0 : 0.0)) * bin.Count()) / decided.Count;
        var meanConfidence = decided.Count == 0 ? 0 : decided.Average(kv => result[kv.Key].Confidence);
        return new ConsolidationScore(Truth.Count, decided.Count, correct, notGiven, confidentWrong, ece, meanConfidence);
    }
}

/// <summary>Accuracy and calibration of one consolidation run. <see cref="Ece"/>: expected calibration
/// error of the decided items (0 = confidence matches accuracy exactly).</summary>
public sealed record ConsolidationScore(int Items, int Decided, int Correct, int AnswersNobodyGave, int ConfidentWrong, double Ece, double MeanConfidence)
{
    /// <summary>Share of items decided (not unsure).</summary>
    public double Coverage => Items == 0 ? 0 : (double)Decided / Items;
    /// <summary>Share of decided items that are right.</summary>
    public double DecidedAccuracy => Decided == 0 ? 0 : (double)Correct / Decided;
    /// <summary>Share of all items decided wrongly (what slips past to the dataset).</summary>
    public double WrongRate => Items == 0 ? 0 : (double)(Decided - Correct) / Items;
}
