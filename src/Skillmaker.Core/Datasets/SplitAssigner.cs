using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Skillmaker.Datasets;

public enum Split { Train, Test }

/// <summary>One append-only ledger line: from now on, every item touching <see cref="Atom"/> (a set id
/// or a near-duplicate cluster) is in <see cref="Split"/>.</summary>
public sealed record LedgerEntry(string Atom, Split Split, string Reason, string ManifestId, DateTimeOffset RecordedAt);

/// <param name="Stratum">The item's class: new groups are balanced per class so that every class gets
/// close to the target test share, not just the whole dataset.</param>
public sealed record SplitItem(string ImageId, string SetId, IReadOnlyList<string> NearDuplicateClusters, string? Stratum = null);

public sealed record SplitAssignment(string ImageId, Split Split, string Group);

public sealed record SplitPlan(IReadOnlyList<SplitAssignment> Assignments, IReadOnlyList<(string Atom, Split Split, string Reason)> NewEntries, IReadOnlyList<string> MovedToTest);

/// <summary>Sticky, group-aware train/test assignment. A group is a set id joined with every
/// near-duplicate cluster its photos touch (union-find), so a set never straddles and a near-duplicate
/// never crosses. Once any part of a group was test, the whole group is test forever; new groups are
/// taken into test in an order given by a hash of their key and the workspace seed, while that brings
/// the test share of their class closer to the target.</summary>
public static class SplitAssigner
{
    public static string SetAtom(string setId) => "set:" + setId;
    public static string ClusterAtom(string cluster) => "dup:" + cluster;

    public static IReadOnlyList<string> AtomsOf(SplitItem item) =>
        [SetAtom(item.SetId), .. item.NearDuplicateClusters.Select(ClusterAtom)];

    public static SplitPlan Assign(IReadOnlyList<SplitItem> items, IReadOnlyList<LedgerEntry> ledger, IReadOnlySet<string> everTest, long seed, double testFraction)
    {
        var groups = Group(items);
        var everTestAtoms = ledger.Where(e => e.Split == Split.Test).Select(e => e.Atom).ToHashSet();
        var latest = new Dictionary<string, Split>();
        foreach (var e in ledger) latest[e.Atom] = e.Split;

        var split = new Dictionary<string, Split>();
        var reasons = new Dictionary<string, string>();
        var fresh = new List<(string Key, List<SplitItem> Items)>();
        foreach (var (key, members) in groups)
        {
            var atoms = members.SelectMany(AtomsOf).Distinct().ToList();
            var testAtom = atoms.FirstOrDefault(everTestAtoms.Contains);
            var testItem = members.FirstOrDefault(m => everTest.Contains(m.ImageId));
            if (testAtom is not null || testItem is not null)
            {
                split[key] = Split.Test;
                reasons[key] = testAtom is not null ? $"joined test group {testAtom}" : $"holds earlier test item {testItem!.ImageId}";
            }
            else if (atoms.Any(latest.ContainsKey))
            {
                split[key] = Split.Train;
                reasons[key] = "joined train group";
            }
            else fresh.Add((key, members));
        }

        // Test share per stratum (class); items without one share a stratum.
        var total = items.GroupBy(i => i.Stratum ?? "").ToDictionary(g => g.Key, g => g.Count());
        var test = total.Keys.ToDictionary(k => k, _ => 0);
        foreach (var (key, members) in groups)
            if (split.TryGetValue(key, out var s) && s == Split.Test)
                foreach (var m in members) test[m.Stratum ?? ""]++;
        foreach (var (key, members) in fresh.OrderBy(f => Hash(seed, f.Key)).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            // A group goes to test when that brings its main class's test share closer to the target.
            var stratum = members.GroupBy(m => m.Stratum ?? "").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            var size = members.Count(m => (m.Stratum ?? "") == stratum);
            var intoTest = test[stratum] + size / 2.0 <= testFraction * total[stratum];
            split[key] = intoTest ? Split.Test : Split.Train;
            reasons[key] = "new group";
            if (intoTest)
                foreach (var m in members) test[m.Stratum ?? ""]++;
        }

        var assignments = new List<SplitAssignment>();
        var entries = new List<(string, Split, string)>();
        var moved = new List<string>();
        foreach (var (key, members) in groups)
        {
            foreach (var m in members) assignments.Add(new SplitAssignment(m.ImageId, split[key], key));
            foreach (var atom in members.SelectMany(AtomsOf).Distinct().Order(StringComparer.Ordinal))
            {
                if (latest.TryGetValue(atom, out var was) && was == split[key]) continue;
                if (latest.TryGetValue(atom, out was) && was == Split.Train) moved.Add(atom);
                entries.Add((atom, split[key], reasons[key]));
            }
        }
        assignments.Sort((a, b) => string.CompareOrdinal(a.ImageId, b.ImageId));
        return new SplitPlan(assignments, entries, moved);
    }

    /// <summary>An external test set (definition role test): every group is test, and its atoms are
    /// recorded as test in the ledger, so they stay test (a group that was train is reported as moved).</summary>
    public static SplitPlan AssignAllTest(IReadOnlyList<SplitItem> items, IReadOnlyList<LedgerEntry> ledger)
    {
        var latest = new Dictionary<string, Split>();
        foreach (var e in ledger) latest[e.Atom] = e.Split;
        var assignments = new List<SplitAssignment>();
        var entries = new List<(string, Split, string)>();
        var moved = new List<string>();
        foreach (var (key, members) in Group(items))
        {
            foreach (var m in members) assignments.Add(new SplitAssignment(m.ImageId, Split.Test, key));
            foreach (var atom in members.SelectMany(AtomsOf).Distinct().Order(StringComparer.Ordinal))
            {
                if (latest.TryGetValue(atom, out var was) && was == Split.Test) continue;
                if (was == Split.Train && latest.ContainsKey(atom)) moved.Add(atom);
                entries.Add((atom, Split.Test, "test set (role test)"));
            }
        }
        assignments.Sort((a, b) => string.CompareOrdinal(a.ImageId, b.ImageId));
        return new SplitPlan(assignments, entries, moved);
    }

    /// <summary>Groups items by union-find over their atoms; a group's key is its smallest atom.</summary>
    public static Dictionary<string, List<SplitItem>> Group(IReadOnlyList<SplitItem> items)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Find(string x)
        {
            if (!parent.TryGetValue(x, out var p)) { parent[x] = x; return x; }
            if (p == x) return x;
            var root = Find(p);
            parent[x] = root;
            return root;
        }
        void Union(string a, string b)
        {
            var (ra, rb) = (Find(a), Find(b));
            if (ra == rb) return;
            // The smaller atom becomes the root, so the root is the group's canonical key.
            if (string.CompareOrdinal(ra, rb) < 0) parent[rb] = ra; else parent[ra] = rb;
        }
        foreach (var item in items)
        {
            var atoms = AtomsOf(item);
            foreach (var atom in atoms.Skip(1)) Union(atoms[0], atom);
            Find(atoms[0]);
        }
        var groups = new Dictionary<string, List<SplitItem>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var key = Find(SetAtom(item.SetId));
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(item);
        }
        return groups;
    }

    /// <summary>A stable 64-bit hash of the seed and a key (not string.GetHashCode, which changes per process).</summary>
    public static ulong Hash(long seed, string key) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{key}")));
}
