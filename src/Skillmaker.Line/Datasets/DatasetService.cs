using Skillmaker.Catalog;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;

namespace Skillmaker.Datasets;

public sealed record ExtractResult(DatasetManifest Manifest, bool Created, string JsonPath, string CsvPath, IReadOnlyList<string> MovedToTest)
{
    /// <summary>Classes (with <c>classesFromLabels</c>) that the previous manifest of this definition did
    /// not have; the extract refuses them unless accepted.</summary>
    public IReadOnlyList<string> AddedClasses { get; init; } = [];
    /// <summary>Crops of labelled photos that are not the photo's subject and wait for a label of their own.</summary>
    public int BackgroundCropsAwaitingLabel { get; init; }
}

/// <summary>Turns a definition into a manifest: pick candidates, resolve labels to classes, filter,
/// assign sticky splits, balance, then store the manifest with its ledger entries and write it as
/// JSON and CSV.</summary>
public sealed partial class DatasetService(IDatasetStore store, long seed, string manifestFolder, TimeProvider time, ILogger<DatasetService> logger,
    Detection.AttributionService? attribution = null)
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

    public Task<ExtractResult> ExtractAsync(DatasetDefinition definition, double? testFractionOverride, CancellationToken cancellationToken) =>
        ExtractAsync(definition, testFractionOverride, acceptNewClasses: false, cancellationToken);

    /// <param name="acceptNewClasses">With <c>classesFromLabels</c>, accept labels that became classes since
    /// this definition's previous manifest; otherwise the extract refuses and names them.</param>
    public async Task<ExtractResult> ExtractAsync(DatasetDefinition definition, double? testFractionOverride, bool acceptNewClasses, CancellationToken cancellationToken)
    {
        var testFraction = testFractionOverride ?? definition.TestFraction;
        if (!(testFraction >= 0 && testFraction < 1))
            throw new InvalidSettingException(testFractionOverride is null ? $"Dataset definition {definition.Name}" : null, "testFraction", $"is {testFraction}; expected a fraction in [0, 1), e.g. 0.2 (0: every new group in train)");

        // Crops cut before attribution existed get attributed now, so no photo label reaches a background car.
        if (definition.ImageKind == ImageKind.Crop && attribution is not null)
            await attribution.RunAsync(onlyMissing: true, cancellationToken);
        var candidates = await store.GetCandidatesAsync(definition.ImageKind, cancellationToken);
        var excluded = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void Exclude(string reason) => excluded[reason] = excluded.GetValueOrDefault(reason) + 1;
        if (definition.Sources.Count > 0)
        {
            var wanted = definition.Sources.ToHashSet(StringComparer.Ordinal);
            var known = candidates.SelectMany(c => c.Sources).ToHashSet(StringComparer.Ordinal);
            var unknown = definition.Sources.Where(s => !known.Contains(s)).ToList();
            if (unknown.Count > 0)
                throw new InvalidSettingException($"Dataset definition {definition.Name}", "sources",
                    $"names {string.Join(", ", unknown)}, which no {definition.ImageKind.ToString().ToLowerInvariant()} image came from; known: {(known.Count == 0 ? "(none)" : string.Join(", ", known.Order(StringComparer.Ordinal)))}");
            var all = candidates.Count;
            candidates = [.. candidates.Where(c => c.Sources.Any(wanted.Contains))];
            for (var i = candidates.Count; i < all; i++) Exclude("from another source (sources)");
        }
        var labelToClass = ResolveClasses(definition, candidates);
        var added = await AddedClassesAsync(definition, labelToClass, cancellationToken);
        if (added.Count > 0 && !acceptNewClasses)
            throw new InvalidSettingException(null, "acceptNewClasses",
                $"classesFromLabels would add {added.Count} class(es) that its previous manifest did not have: {string.Join(", ", added)}; " +
                "accept them, or list the classes you want under classes, or narrow the images with sources; nothing was written");

        var awaiting = 0;
        var kept = new List<(DatasetCandidate Candidate, string Class)>();
        foreach (var c in candidates)
        {
            if (c.Rejected) { Exclude("rejected by a reviewer"); continue; }
            if (c.PhotoSubject == false && definition.BackgroundCrops == BackgroundCrops.LeaveOut)
            { Exclude("not its photo's subject (backgroundCrops: leaveOut)"); continue; }
            if (c.PhotoSubject == false && c.ConfirmedLabel is null && c.LabelHints.Count == 0 && c.PhotoLabelHints.Count > 0)
            { awaiting++; Exclude("not its photo's subject; waits for a crowd or reviewer label"); continue; }
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
        var splitItems = kept.Select(k => new SplitItem(k.Candidate.ImageId, k.Candidate.SetId, k.Candidate.NearDuplicateClusters, k.Class)).ToList();
        var plan = definition.Role == DatasetRole.Test
            ? SplitAssigner.AssignAllTest(splitItems, ledger)
            : SplitAssigner.Assign(splitItems, ledger, everTest, seed, testFraction);
        var splitOf = plan.Assignments.ToDictionary(a => a.ImageId);
        var items = kept.Select(k => new ManifestItem(k.Candidate.ImageId, k.Candidate.ParentId, k.Class, splitOf[k.Candidate.ImageId].Split, splitOf[k.Candidate.ImageId].Group))
            .OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var before = ClassBalancer.Count(items);
        var balanced = ClassBalancer.Apply(items, definition.Balance, seed, testSet: definition.Role == DatasetRole.Test);
        var after = ClassBalancer.Count(balanced.Items);
        if (after.Count < 2)
            throw new SkillmakerException(
                $"Dataset '{definition.Name}' has {after.Count} usable class(es) after filtering and balance; at least two are needed. " +
                $"Per class before balance: {(before.Count == 0 ? "none" : string.Join(", ", before.Select(b => $"{b.Class}={b.Total}")))}; excluded: {Describe(excluded)}" +
                (balanced.Dropped.Count == 0 ? "." : $"; dropped: {string.Join("; ", balanced.Dropped.Select(d => $"{d.Class}: {d.Reason}"))}.") +
                (before.Count > 0 && before.All(b => b.Train == 0) && definition.Role != DatasetRole.Test
                    ? " Every item is test (earlier test groups stay test, e.g. from a test set with role test), so there are no training items."
                    : ""));

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
        return new ExtractResult(manifest, created, stem + ".json", stem + ".csv", plan.MovedToTest) { AddedClasses = added, BackgroundCropsAwaitingLabel = awaiting };
    }

    /// <summary>With classesFromLabels: classes that the latest earlier manifest of the same name lacks.
    /// None for a first extract (nothing to compare with) or with explicit classes.</summary>
    private async Task<IReadOnlyList<string>> AddedClassesAsync(DatasetDefinition definition, Dictionary<string, string> labelToClass, CancellationToken cancellationToken)
    {
        if (!definition.ClassesFromLabels) return [];
        var previous = (await store.ListManifestsAsync(cancellationToken)).Where(m => m.Name == definition.Name).MaxBy(m => m.CreatedAt);
        if (previous is null) return [];
        var manifest = await store.GetManifestAsync(previous.Id, cancellationToken);
        if (manifest is null) return [];
        var had = manifest.Classes.Concat(manifest.DroppedClasses.Select(d => d.Class)).ToHashSet(StringComparer.Ordinal);
        return [.. labelToClass.Values.Distinct().Where(c => !had.Contains(c)).Order(StringComparer.Ordinal)];
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
