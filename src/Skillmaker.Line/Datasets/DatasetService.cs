using Skillmaker.Catalog;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;

namespace Skillmaker.Datasets;

public sealed record ExtractResult(DatasetManifest Manifest, bool Created, string JsonPath, string CsvPath, IReadOnlyList<string> MovedToTest);

/// <summary>Turns a definition into a manifest: pick candidates, resolve labels to classes, filter,
/// assign sticky splits, balance, then store the manifest with its ledger entries and write it as
/// JSON and CSV.</summary>
public sealed partial class DatasetService(IDatasetStore store, long seed, string manifestFolder, TimeProvider time, ILogger<DatasetService> logger)
{
    /// <summary>Checks every manifest and the split ledger against today's catalog: groups and
    /// near-duplicates on one side, test stays test (see <see cref="SplitAudit"/>).</summary>
    public async Task<AuditReport> AuditSplitsAsync(CancellationToken cancellationToken)
    {
        var manifests = await store.GetAllManifestsAsync(cancellationToken);
        var ledger = await store.GetLedgerAsync(cancellationToken);
        var atoms = new Dictionary<string, SplitItem>();
        foreach (var kind in new[] { ImageKind.Original, ImageKind.Crop })
            foreach (var c in await store.GetCandidatesAsync(kind, cancellationToken))
                atoms[c.ImageId] = new SplitItem(c.ImageId, c.SetId, c.NearDuplicateClusters);
        return SplitAudit.Run(manifests, ledger, atoms);
    }

    public async Task<ExtractResult> ExtractAsync(DatasetDefinition definition, double? testFractionOverride, CancellationToken cancellationToken)
    {
        var testFraction = testFractionOverride ?? definition.TestFraction;
        if (!(testFraction > 0 && testFraction < 1))
            throw new InvalidSettingException(testFractionOverride is null ? $"Dataset definition {definition.Name}" : null, "testFraction", $"is {testFraction}; expected a fraction in (0, 1), e.g. 0.2");

        var candidates = await store.GetCandidatesAsync(definition.ImageKind, cancellationToken);
        var labelToClass = ResolveClasses(definition, candidates);
        var excluded = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void Exclude(string reason) => excluded[reason] = excluded.GetValueOrDefault(reason) + 1;

        var kept = new List<(DatasetCandidate Candidate, string Class)>();
        foreach (var c in candidates)
        {
            if (c.Rejected) { Exclude("rejected by a reviewer"); continue; }
            var label = c.ConfirmedLabel;
            if (label is null && definition.AllowLabelHints)
            {
                var hints = c.LabelHints.Distinct().ToList();
                if (hints.Count > 1) { Exclude("label hints disagree"); continue; }
                label = hints.SingleOrDefault();
            }
            if (label is null) { Exclude(definition.AllowLabelHints ? "no label or hint" : "no confirmed label"); continue; }
            if (!labelToClass.TryGetValue(label, out var cls)) { Exclude("label not in any class"); continue; }
            if (definition.Filters.CrowdContent.Count > 0 && (c.CrowdContent is null || !definition.Filters.CrowdContent.Contains(c.CrowdContent)))
            { Exclude(c.CrowdContent is null ? "no crowd content answer" : $"crowd content {c.CrowdContent}"); continue; }
            if (definition.Filters.CrowdQuality.Count > 0 && (c.CrowdQuality is null || !definition.Filters.CrowdQuality.Contains(c.CrowdQuality)))
            { Exclude(c.CrowdQuality is null ? "no crowd quality answer" : $"crowd quality {c.CrowdQuality}"); continue; }
            if (c.Width < definition.Filters.MinWidth || c.Height < definition.Filters.MinHeight) { Exclude("smaller than filters.minWidth/minHeight"); continue; }
            kept.Add((c, cls));
        }

        var ledger = await store.GetLedgerAsync(cancellationToken);
        var everTest = await store.GetImagesEverInTestAsync(cancellationToken);
        var plan = SplitAssigner.Assign([.. kept.Select(k => new SplitItem(k.Candidate.ImageId, k.Candidate.SetId, k.Candidate.NearDuplicateClusters, k.Class))], ledger, everTest, seed, testFraction);
        var splitOf = plan.Assignments.ToDictionary(a => a.ImageId);
        var items = kept.Select(k => new ManifestItem(k.Candidate.ImageId, k.Candidate.ParentId, k.Class, splitOf[k.Candidate.ImageId].Split, splitOf[k.Candidate.ImageId].Group))
            .OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var before = ClassBalancer.Count(items);
        var balanced = ClassBalancer.Apply(items, definition.Balance, seed);
        var after = ClassBalancer.Count(balanced.Items);
        if (after.Count < 2)
            throw new SkillmakerException(
                $"Dataset '{definition.Name}' has {after.Count} usable class(es) after filtering and balance; at least two are needed. " +
                $"Per class before balance: {(before.Count == 0 ? "none" : string.Join(", ", before.Select(b => $"{b.Class}={b.Total}")))}; excluded: {Describe(excluded)}.");

        var manifest = new DatasetManifest
        {
            Id = "",
            Name = definition.Name,
            CreatedAt = time.GetUtcNow(),
            DefinitionJson = DatasetDefinitionLoader.Serialize(definition with { TestFraction = testFraction, Augmentations = null }),
            Seed = seed,
            TestFraction = testFraction,
            Classes = [.. after.Select(a => a.Class)],
            Items = balanced.Items,
            CountsBefore = before,
            CountsAfter = after,
            DroppedClasses = balanced.Dropped,
            ClassWeights = balanced.Weights,
            Excluded = excluded,
        };
        manifest = manifest with { Id = DatasetManifest.ComputeId(manifest) };

        var now = time.GetUtcNow();
        var entries = plan.NewEntries.Select(e => new LedgerEntry(e.Atom, e.Split, e.Reason, manifest.Id, now)).ToList();
        var created = await store.SaveManifestAsync(manifest, entries, cancellationToken);
        if (!created)
            manifest = await store.GetManifestAsync(manifest.Id, cancellationToken) ?? manifest;

        Directory.CreateDirectory(manifestFolder);
        var stem = Path.Combine(manifestFolder, $"{definition.Name}-{manifest.Id[..12]}");
        await AtomicFile.WriteAllTextAsync(stem + ".json", manifest.ToJson(), cancellationToken);
        await AtomicFile.WriteAllTextAsync(stem + ".csv", manifest.ToCsv(), cancellationToken);
        LogExtracted(manifest.Id, definition.Name, manifest.Items.Count, created, plan.MovedToTest.Count);
        return new ExtractResult(manifest, created, stem + ".json", stem + ".csv", plan.MovedToTest);
    }

    /// <summary>Maps labels to classes and checks the definition against what the catalog knows.</summary>
    private static Dictionary<string, string> ResolveClasses(DatasetDefinition definition, IReadOnlyList<DatasetCandidate> candidates)
    {
        var known = candidates.Where(c => !c.Rejected)
            .SelectMany(c => c.ConfirmedLabel is { } l ? [l] : definition.AllowLabelHints ? c.LabelHints : [])
            .GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        if (definition.ClassesFromLabels)
        {
            if (known.Count < 2)
                throw new SkillmakerException($"classesFromLabels: the catalog has {known.Count} {(definition.AllowLabelHints ? "label or hint" : "confirmed label")}(s) on {definition.ImageKind.ToString().ToLowerInvariant()} images; at least two classes are needed{(definition.AllowLabelHints ? "" : " (set allowLabelHints: true to use label hints)")}.");
            return known.Keys.ToDictionary(k => k, k => k);
        }

        var errors = new List<string>();
        var knownList = string.Join(", ", known.Keys.Order(StringComparer.Ordinal).Take(30)) + (known.Count > 30 ? ", ..." : "");
        for (var i = 0; i < definition.Classes.Count; i++)
        {
            var cls = definition.Classes[i];
            for (var j = 0; j < cls.Labels.Count; j++)
                if (!known.ContainsKey(cls.Labels[j]))
                    errors.Add($"classes[{i}].labels[{j}]: label '{cls.Labels[j]}' is not on any {definition.ImageKind.ToString().ToLowerInvariant()} image{(definition.AllowLabelHints ? "" : " as a confirmed label")}; known: {(known.Count == 0 ? "(none)" : knownList)}");
            if (cls.Labels.All(l => !known.ContainsKey(l)))
                errors.Add($"classes[{i}]: class '{cls.Name}' is empty: none of its labels is on any image");
        }
        if (errors.Count > 0)
            throw new SkillmakerException($"Dataset '{definition.Name}' does not match the catalog:\n  " + string.Join("\n  ", errors));
        return definition.Classes.SelectMany(c => c.Labels.Select(l => (l, c.Name))).ToDictionary(x => x.l, x => x.Name);
    }

    private static string Describe(SortedDictionary<string, int> excluded) =>
        excluded.Count == 0 ? "none" : string.Join(", ", excluded.Select(e => $"{e.Value} {e.Key}"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Manifest {ManifestId} for {Name}: {Items} items (new: {Created}); {Moved} groups moved to test")]
    private partial void LogExtracted(string manifestId, string name, int items, bool created, int moved);
}
