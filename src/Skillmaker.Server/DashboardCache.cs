using System.Collections.Concurrent;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Host;
using Skillmaker.Skills;

namespace Skillmaker.Server;

/// <summary>What the dashboard reads often and what rarely changes, kept between requests: manifests (immutable
/// by id, so kept until crowded out), and the manifest list and version details, kept while the catalog's change
/// stamp (<see cref="Catalog.ICatalogBrowser.ChangeStampAsync"/>) stays the same. A manifest of 100,000 items
/// is parsed once instead of on every page that needs it.</summary>
public sealed class DashboardCache(TimeProvider time)
{
    /// <summary>How long the filters' choices (sources, labels) are reused; new ones show up after this.</summary>
    public static readonly TimeSpan FacetsLifetime = TimeSpan.FromSeconds(30);
    private (DateTimeOffset At, Catalog.BrowseFacets Facets)? _facets;
    private (string Key, ManifestDiff Diff)? _diff;

    private const int MaxManifests = 4;
    private readonly ConcurrentDictionary<string, DatasetManifest> _manifests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SkillRef, (string Stamp, VersionDetails Details)> _versions = new();
    private (string Stamp, IReadOnlyList<ManifestInfo> List)? _list;

    /// <summary>By full id or unique prefix; null when there is none.</summary>
    public async Task<DatasetManifest?> ManifestAsync(LineServices line, string idOrPrefix, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue(idOrPrefix, out var cached)) return cached;
        var manifest = await line.DatasetStore.GetManifestAsync(idOrPrefix, cancellationToken);
        if (manifest is null) return null;
        if (_manifests.Count >= MaxManifests) _manifests.Clear();
        _manifests[manifest.Id] = manifest;
        return manifest;
    }

    public async Task<IReadOnlyList<ManifestInfo>> ManifestListAsync(LineServices line, CancellationToken cancellationToken)
    {
        var stamp = await line.CatalogBrowser.ChangeStampAsync(cancellationToken);
        if (_list is { } l && l.Stamp == stamp) return l.List;
        var list = await line.DatasetStore.ListManifestsAsync(cancellationToken);
        _list = (stamp, list);
        return list;
    }

    public async Task<Catalog.BrowseFacets> FacetsAsync(LineServices line, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_facets is { } f && now - f.At < FacetsLifetime) return f.Facets;
        var facets = await line.CatalogBrowser.FacetsAsync(cancellationToken);
        _facets = (now, facets);
        return facets;
    }

    /// <summary>The diff of two manifests (both immutable, so it never goes stale).</summary>
    public ManifestDiff Diff(DatasetManifest? previous, DatasetManifest current)
    {
        var key = $"{previous?.Id}>{current.Id}";
        if (_diff is { } d && d.Key == key) return d.Diff;
        var diff = ManifestDiff.Of(previous, current);
        _diff = (key, diff);
        return diff;
    }

    /// <summary>The version's details (throws naming what exists when it does not), fresh after any new evaluation,
    /// promotion or status.</summary>
    /// <param name="stamp">The change stamp when the caller already read it (one read for many versions).</param>
    public async Task<VersionDetails> VersionAsync(LineServices line, SkillRef skill, CancellationToken cancellationToken, string? stamp = null)
    {
        stamp ??= await line.CatalogBrowser.ChangeStampAsync(cancellationToken);
        if (_versions.TryGetValue(skill, out var c) && c.Stamp == stamp) return c.Details;
        var details = await line.SkillVersions().GetAsync(skill, cancellationToken);
        _versions[skill] = (stamp, details);
        return details;
    }
}
