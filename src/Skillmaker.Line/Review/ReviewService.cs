using System.Collections.Concurrent;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Datasets;

namespace Skillmaker.Review;

/// <summary>The expert review: groups of crops, decisions (confirm, relabel, reject) recorded in batches
/// that can be undone. With <paramref name="datasets"/>, relabelling offers the classes of the workspace's
/// dataset definitions first.</summary>
public sealed partial class ReviewService(IReviewStore store, TimeProvider time, IDatasetStore? datasets = null)
{
    /// <summary>(label, "dataset: class") pairs of each manifest's definition, by manifest id: a manifest never
    /// changes (its id is the hash of its content), so each is read once.</summary>
    private readonly ConcurrentDictionary<string, IReadOnlyList<(string Label, string Class)>> _definedByManifest = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<ReviewGroup>> GroupsAsync(CancellationToken cancellationToken) => store.GetGroupsAsync(cancellationToken);
    public Task<IReadOnlyList<ReviewItem>> ItemsAsync(ReviewQuery query, CancellationToken cancellationToken) => store.GetItemsAsync(query, cancellationToken);
    public Task<IReadOnlyList<string>> KnownLabelsAsync(CancellationToken cancellationToken) => store.GetKnownLabelsAsync(cancellationToken);

    /// <summary>What a crop can be relabelled as: the labels of the dataset definitions' classes first, then
    /// the other labels the catalog knows.</summary>
    public async Task<RelabelChoices> RelabelChoicesAsync(CancellationToken cancellationToken)
    {
        var defined = await DefinedLabelsAsync(cancellationToken);
        var labels = defined.Select(d => d.Label).ToHashSet(StringComparer.Ordinal);
        var others = (await store.GetKnownLabelsAsync(cancellationToken)).Where(l => !labels.Contains(l)).Order(StringComparer.Ordinal).ToList();
        return new(defined, others);
    }

    /// <summary>The labels the classes of the newest definition of each dataset are made of (with
    /// classesFromLabels, the manifest's classes), ordered by label.</summary>
    private async Task<IReadOnlyList<DefinedLabel>> DefinedLabelsAsync(CancellationToken cancellationToken)
    {
        if (datasets is null) return [];
        var newest = (await datasets.ListManifestsAsync(cancellationToken))
            .GroupBy(m => m.Name, StringComparer.Ordinal)
            .Select(g => g.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id, StringComparer.Ordinal).Last());
        var classes = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var info in newest)
        {
            if (!_definedByManifest.TryGetValue(info.Id, out var pairs))
            {
                pairs = await ReadDefinedAsync(datasets, info.Id, cancellationToken);
                _definedByManifest[info.Id] = pairs;
            }
            foreach (var (label, cls) in pairs)
            {
                if (!classes.TryGetValue(label, out var set)) classes[label] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(cls);
            }
        }
        return [.. classes.Select(c => new DefinedLabel(c.Key, [.. c.Value]))];
    }

    private static async Task<IReadOnlyList<(string Label, string Class)>> ReadDefinedAsync(IDatasetStore datasets, string manifestId, CancellationToken cancellationToken)
    {
        var manifest = await datasets.GetManifestAsync(manifestId, cancellationToken);
        if (manifest is null) return [];
        DatasetDefinition definition;
        try
        {
            definition = DatasetDefinitionLoader.Parse(manifest.DefinitionJson, $"The definition of dataset {manifest.Name}");
        }
        catch (SkillmakerException)
        {
            // A definition an older version wrote that no longer reads: its classes are still in the manifest.
            return [.. manifest.Classes.Select(c => (c, $"{manifest.Name}: {c}"))];
        }
        return definition.ClassesFromLabels
            ? [.. manifest.Classes.Concat(manifest.DroppedClasses.Select(d => d.Class)).Distinct(StringComparer.Ordinal).Select(c => (c, $"{manifest.Name}: {c}"))]
            : [.. definition.Classes.SelectMany(c => c.Labels.Select(l => (l, $"{manifest.Name}: {c.Name}")))];
    }
    public Task<IReadOnlyList<string>> SourcesAsync(CancellationToken cancellationToken) => store.GetSourcesAsync(cancellationToken);
    public Task<IReadOnlyList<ReviewBatch>> RecentAsync(string actor, CancellationToken cancellationToken) => store.GetRecentBatchesAsync(actor, 5, cancellationToken);

    /// <summary>Confirms the crops as <paramref name="label"/> (also how a relabel is stored).</summary>
    public Task<ReviewBatch> ConfirmAsync(IReadOnlyCollection<string> cropIds, string label, string actor, CancellationToken cancellationToken) =>
        DecideAsync(cropIds, ValidateLabel(label), LabelStatus.Confirmed, actor, cancellationToken);

    /// <summary>Relabels the crops as <paramref name="label"/>. A label that is not one of the known classes
    /// (the labels of the dataset definitions' classes, and labels and hints already in the catalog) is refused unless <paramref name="newClass"/> says the
    /// expert means a new class, so a typo ("bwm_m3_cupe") never becomes a class; the refusal names the
    /// closest known class.</summary>
    public async Task<ReviewBatch> RelabelAsync(IReadOnlyCollection<string> cropIds, string label, bool newClass, string actor, CancellationToken cancellationToken)
    {
        var valid = ValidateLabel(label);
        var known = (await RelabelChoicesAsync(cancellationToken)).Labels.ToList();
        if (!newClass && !known.Contains(valid, StringComparer.Ordinal))
        {
            var closest = known.OrderBy(k => Distance(k.ToLowerInvariant(), valid.ToLowerInvariant())).ThenBy(k => k, StringComparer.Ordinal).FirstOrDefault();
            throw new SkillmakerException($"'{valid}' is not a known class{(closest is null ? "" : $"; did you mean '{closest}'?")} " +
                "Pick a class from the list, or tick \"new class\" to add it as a new class.");
        }
        return await DecideAsync(cropIds, valid, LabelStatus.Confirmed, actor, cancellationToken);
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }

    public Task<ReviewBatch> RejectAsync(IReadOnlyCollection<string> cropIds, string actor, CancellationToken cancellationToken) =>
        DecideAsync(cropIds, "rejected", LabelStatus.Rejected, actor, cancellationToken);

    /// <summary>Undoes a batch of <paramref name="actor"/>'s; an admin (<paramref name="isAdmin"/>) may undo anyone's.</summary>
    public Task<int> UndoAsync(string batchId, string actor, bool isAdmin, CancellationToken cancellationToken) =>
        store.UndoAsync(batchId, actor, isAdmin, time.GetUtcNow(), cancellationToken);

    public static string ValidateLabel(string? label)
    {
        var trimmed = label?.Trim() ?? "";
        // The same rule as at ingest, so every hint can be confirmed as it is.
        return LabelNames.Problem(trimmed) is { } problem ? throw new SkillmakerException($"L{problem[1..]}.") : trimmed;
    }

    private async Task<ReviewBatch> DecideAsync(IReadOnlyCollection<string> cropIds, string label, LabelStatus status, string actor, CancellationToken cancellationToken)
    {
        var ids = cropIds.Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) throw new SkillmakerException("No crops selected; select at least one crop.");
        if (ids.Count > 1000) throw new SkillmakerException($"{ids.Count} crops selected; at most 1000 per decision.");
        var now = time.GetUtcNow();
        var batch = $"rv-{now.ToUnixTimeMilliseconds()}-{Guid.NewGuid().ToString("N")[..8]}";
        var action = status == LabelStatus.Rejected ? "reject" : $"confirm:{label}";
        await store.RecordAsync(batch, action, [.. ids.Select(id => new LabelRecord
        {
            ImageId = id, Label = label, Status = status, Provenance = Provenance.Expert, Actor = actor, RecordedAt = now,
        })], cancellationToken);
        return new ReviewBatch(batch, actor, action, ids.Count, now, false);
    }

}
