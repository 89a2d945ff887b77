using Skillmaker.Catalog;
using Skillmaker.Datasets;

namespace Skillmaker.Evaluation;

/// <summary>A test item that a skill version has, in effect, already seen, and why.</summary>
public sealed record LeakedItem(string ImageId, string Reason);

/// <summary>Which test items leak from a skill version's training data: the same image (or a crop of the
/// same photo), a near-duplicate of a training image (as the catalog links them), or a photo of the same
/// set (the same vehicle). Used by <c>eval --dataset</c>; promotion can call it on any test items.</summary>
public sealed class LeakageCheck(IDatasetStore store)
{
    /// <param name="training">The manifest the version was trained on (its train split counts).</param>
    public Task<IReadOnlyList<LeakedItem>> CheckAsync(DatasetManifest training, IReadOnlyList<ManifestItem> testItems, CancellationToken cancellationToken) =>
        CheckAsync([training], testItems, cancellationToken);

    /// <summary>The same against the train splits of several manifests at once (e.g. a candidate's and
    /// production's), reading the catalog once; each leaked item is listed once, in test order.</summary>
    public async Task<IReadOnlyList<LeakedItem>> CheckAsync(IReadOnlyList<DatasetManifest> trainings, IReadOnlyList<ManifestItem> testItems, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, DatasetCandidate>(StringComparer.Ordinal);
        foreach (var kind in new[] { ImageKind.Original, ImageKind.Crop })
            foreach (var c in await store.GetCandidatesAsync(kind, cancellationToken)) known[c.ImageId] = c;
        var train = trainings.SelectMany(t => t.Items).Where(i => i.Split == Split.Train).ToList();
        var images = train.SelectMany(i => i.ParentId is { } p ? new[] { i.ImageId, p } : [i.ImageId]).ToHashSet(StringComparer.Ordinal);
        var clusters = train.SelectMany(i => known.TryGetValue(i.ImageId, out var c) ? c.NearDuplicateClusters : []).ToHashSet(StringComparer.Ordinal);
        var sets = train.Select(i => known.TryGetValue(i.ImageId, out var c) ? c.SetId : null).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var leaked = new List<LeakedItem>();
        foreach (var item in testItems)
        {
            known.TryGetValue(item.ImageId, out var c);
            if (images.Contains(item.ImageId)) leaked.Add(new(item.ImageId, "the image was in training"));
            else if (item.ParentId is { } parent && images.Contains(parent)) leaked.Add(new(item.ImageId, $"its photo {parent[..12]} was in training"));
            else if (c?.NearDuplicateClusters.FirstOrDefault(clusters.Contains) is { } cluster) leaked.Add(new(item.ImageId, $"a near-duplicate (cluster {cluster[..Math.Min(12, cluster.Length)]}) was in training"));
            else if (c?.SetId is { } set && sets.Contains(set)) leaked.Add(new(item.ImageId, $"set {set} was in training"));
        }
        return leaked;
    }
}
