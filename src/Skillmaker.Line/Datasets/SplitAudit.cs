namespace Skillmaker.Datasets;

public sealed record AuditCheck(string Name, bool Passed, string Description, IReadOnlyList<string> Offending);

public sealed record AuditReport(IReadOnlyList<AuditCheck> Checks, int Manifests, int LedgerEntries)
{
    public bool Passed => Checks.All(c => c.Passed);
}

/// <summary>Proves the splits leak nothing, from the manifests and the ledger alone.</summary>
public static class SplitAudit
{
    private const int MaxListed = 50;

    /// <param name="manifests">All manifests, oldest first.</param>
    /// <param name="currentAtoms">Current set id and near-duplicate clusters of every image in any manifest.</param>
    public static AuditReport Run(IReadOnlyList<DatasetManifest> manifests, IReadOnlyList<LedgerEntry> ledger, IReadOnlyDictionary<string, SplitItem> currentAtoms)
    {
        var straddling = new List<string>();
        var crossing = new List<string>();
        foreach (var manifest in manifests)
        {
            var splitOf = manifest.Items.ToDictionary(i => i.ImageId, i => i.Split);
            var items = manifest.Items.Where(i => currentAtoms.ContainsKey(i.ImageId)).Select(i => currentAtoms[i.ImageId]).ToList();
            foreach (var (group, members) in SplitAssigner.Group(items))
            {
                if (members.Select(m => splitOf[m.ImageId]).Distinct().Count() > 1)
                    straddling.Add($"{manifest.Id[..12]}: group {group} has {string.Join(", ", members.Select(m => $"{m.ImageId[..12]}={Name(splitOf[m.ImageId])}"))}");
            }
            foreach (var cluster in items.SelectMany(i => i.NearDuplicateClusters.Select(c => (c, i.ImageId))).GroupBy(x => x.c))
            {
                var splits = cluster.Select(x => splitOf[x.ImageId]).Distinct().ToList();
                if (splits.Count > 1)
                    crossing.Add($"{manifest.Id[..12]}: near-duplicates {string.Join(", ", cluster.Select(x => $"{x.ImageId[..12]}={Name(splitOf[x.ImageId])}"))}");
            }
        }

        var stillTest = new List<string>();
        var everTest = new Dictionary<string, string>();
        foreach (var manifest in manifests)
        {
            foreach (var item in manifest.Items)
            {
                if (item.Split == Split.Train && everTest.TryGetValue(item.ImageId, out var since))
                    stillTest.Add($"{item.ImageId} was test in {since[..12]} but is train in {manifest.Id[..12]}");
                if (item.Split == Split.Test) everTest.TryAdd(item.ImageId, manifest.Id);
            }
        }

        var ledgerBack = new List<string>();
        var testAtoms = new HashSet<string>();
        foreach (var entry in ledger)
        {
            if (entry.Split == Split.Test) testAtoms.Add(entry.Atom);
            else if (testAtoms.Contains(entry.Atom)) ledgerBack.Add($"{entry.Atom} went back from test to train ({entry.Reason}, {entry.RecordedAt:u})");
        }

        return new AuditReport(
        [
            Check("groups-on-one-side", "no group (a set joined with its near-duplicates) straddles train and test", straddling),
            Check("near-duplicates-on-one-side", "no near-duplicate pair is split across train and test", crossing),
            Check("test-stays-test", "every item that was ever test is still test", stillTest),
            Check("ledger-append-only", "no ledger entry moves a group from test back to train", ledgerBack),
        ], manifests.Count, ledger.Count);
    }

    private static AuditCheck Check(string name, string description, List<string> offending) =>
        new(name, offending.Count == 0, description, [.. offending.Take(MaxListed), .. offending.Count > MaxListed ? [$"... and {offending.Count - MaxListed} more"] : Array.Empty<string>()]);

    private static string Name(Split split) => split == Split.Test ? "test" : "train";
}
