namespace Skillmaker.Datasets;

/// <summary>An item that is in both manifests but changed split or class.</summary>
public sealed record MovedItem(string ImageId, string FromClass, Split FromSplit, string ToClass, Split ToSplit);

/// <summary>What changed from one manifest to the next of the same dataset.</summary>
public sealed record ManifestDiff(string? PreviousId, IReadOnlyList<ManifestItem> Added, IReadOnlyList<ManifestItem> Removed, IReadOnlyList<MovedItem> Moved)
{
    /// <summary>The items of <paramref name="current"/> against <paramref name="previous"/> (all added when null), by image id.</summary>
    public static ManifestDiff Of(DatasetManifest? previous, DatasetManifest current)
    {
        var before = (previous?.Items ?? []).ToDictionary(i => i.ImageId, StringComparer.Ordinal);
        var after = current.Items.ToDictionary(i => i.ImageId, StringComparer.Ordinal);
        return new ManifestDiff(previous?.Id,
            [.. current.Items.Where(i => !before.ContainsKey(i.ImageId)).OrderBy(i => i.ImageId, StringComparer.Ordinal)],
            [.. (previous?.Items ?? []).Where(i => !after.ContainsKey(i.ImageId)).OrderBy(i => i.ImageId, StringComparer.Ordinal)],
            [.. current.Items.Where(i => before.TryGetValue(i.ImageId, out var b) && (b.Split != i.Split || b.Class != i.Class))
                .OrderBy(i => i.ImageId, StringComparer.Ordinal)
                .Select(i => new MovedItem(i.ImageId, before[i.ImageId].Class, before[i.ImageId].Split, i.Class, i.Split))]);
    }
}
