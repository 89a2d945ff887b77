namespace Skillmaker.Datasets;

/// <summary>Class balance: drop classes that are too small, cap large ones, weigh the rest.</summary>
public static class ClassBalancer
{
    public sealed record Result(IReadOnlyList<ManifestItem> Items, IReadOnlyList<DroppedClass> Dropped, IReadOnlyDictionary<string, double>? Weights);

    public static IReadOnlyList<ClassCount> Count(IEnumerable<ManifestItem> items) =>
        [.. items.GroupBy(i => i.Class).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ClassCount(g.Key, g.Count(s => s.Split == Split.Train), g.Count(s => s.Split == Split.Test)))];

    /// <param name="testSet">An external test set (role test): a class needs no training items.</param>
    public static Result Apply(IReadOnlyList<ManifestItem> items, BalancePolicy policy, long seed, bool testSet = false)
    {
        var dropped = new List<DroppedClass>();
        var kept = new List<ManifestItem>();
        foreach (var cls in items.GroupBy(i => i.Class).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = cls.ToList();
            if (members.Count < policy.MinPerClass)
            {
                dropped.Add(new DroppedClass(cls.Key, members.Count, $"{members.Count} items, fewer than balance.minPerClass {policy.MinPerClass}"));
                continue;
            }
            if (!testSet && !members.Any(m => m.Split == Split.Train))
            {
                dropped.Add(new DroppedClass(cls.Key, members.Count, "no training items (all its groups are test)"));
                continue;
            }
            var train = members.Where(m => m.Split == Split.Train).ToList();
            if (policy.MaxPerClass is { } max && train.Count > max)
            {
                // Deterministic undersampling: the same seed keeps the same items.
                train = [.. train.OrderBy(m => SplitAssigner.Hash(seed, "balance:" + m.ImageId)).ThenBy(m => m.ImageId, StringComparer.Ordinal).Take(max)];
            }
            kept.AddRange(train);
            kept.AddRange(members.Where(m => m.Split == Split.Test));
        }
        kept.Sort((a, b) => string.CompareOrdinal(a.ImageId, b.ImageId));

        IReadOnlyDictionary<string, double>? weights = null;
        if (policy.ClassWeights)
        {
            var train = kept.Where(k => k.Split == Split.Train).GroupBy(k => k.Class).ToDictionary(g => g.Key, g => g.Count());
            var total = train.Values.Sum();
            weights = train.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => Math.Round((double)total / (train.Count * t.Value), 6));
        }
        return new Result(kept, dropped, weights);
    }
}
