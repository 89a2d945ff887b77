using System.Globalization;
using Skillmaker.Catalog;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Skills;

namespace Skillmaker.Server.Pages.Dashboard;

/// <summary>The catalog filters as the query string spells them (raw, so a bad value can be shown back).</summary>
public sealed record DataFilterForm(string? Source, string? Label, string? Provenance, string? Status, string? Split, string? Set, string? Kind,
    string? MinWidth, string? MinHeight, string? From, string? To, string? Detection, string? Crowd = null)
{
    /// <summary>The query string of these filters (empty values left out), for links that keep them.</summary>
    public string Query(string? after = null)
    {
        var pairs = new (string Key, string? Value)[]
        {
            ("source", Source), ("label", Label), ("provenance", Provenance), ("status", Status), ("split", Split), ("set", Set), ("kind", Kind),
            ("minw", MinWidth), ("minh", MinHeight), ("from", From), ("to", To), ("detection", Detection), ("crowd", Crowd), ("after", after),
        };
        return string.Join('&', pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
    }
}

/// <param name="Errors">Bad filter values; the listing is empty when there are any.</param>
/// <param name="After">The id this page starts after (null: first page).</param>
public sealed record DataView(DataFilterForm Form, BrowseFacets Facets, IReadOnlyList<string> Errors, BrowsePage Page, string? After);

/// <summary>The image page: the catalog's record and everything that used the image.</summary>
public sealed record ImageView(ImageDetails Details, ImageUsage Usage, IReadOnlyList<SkillRef> UsedBy, IReadOnlyList<Failure> FailedIn, IReadOnlyList<SkillRef> FailedBy)
{
    public string Id => Details.Image.Id;
}

public sealed record SkillsView(IReadOnlyList<SkillOverview> Skills);

/// <param name="Note">A one-line outcome shown at the top (after a promotion).</param>
/// <param name="Crops">The failures that are crops (the review grid can relabel them).</param>
public sealed record VersionView(VersionDetails Details, IReadOnlyList<int> OtherVersions, bool CanAct, string? Note, IReadOnlySet<string> Crops)
{
    /// <summary>Failures shown with their heat maps on the version page; the rest are a page away.</summary>
    public const int FailuresShown = 12;

    public string Name => Details.Info.Name;
    public int Version => Details.Info.Version;
    public string Base => $"/skills/{Uri.EscapeDataString(Name)}/{Version.ToString(CultureInfo.InvariantCulture)}";
}

/// <param name="Total">Images in the cell (or failures) in all; <paramref name="Images"/> is this page of them.</param>
/// <param name="Link">The page's address up to its page number (ends in ? or &amp;).</param>
/// <param name="Crops">With heat maps (the failures page): the failures that are crops; null: thumbnails only.</param>
public sealed record CellView(VersionDetails Details, string Title, int Total, IReadOnlyList<string> Images, IReadOnlyDictionary<string, Failure> Failures,
    int Page, bool HasNext, string Link, IReadOnlySet<string>? Crops = null);

public sealed record CompareView(string Skill, IReadOnlyList<int> Versions, VersionComparison Comparison);

/// <summary>A dry run of the gate from the stored evaluations, before the promotion measures both again.</summary>
public sealed record PromoteView(VersionDetails Candidate, int? Production, EvaluationSummary? ProductionEvaluation, GateDecision? Expected, string? Problem);

public sealed record PromotedView(string Skill, int Version, Promotion.PromotionResult Result);

/// <summary>A dataset: manifests of one name, newest last.</summary>
public sealed record DatasetSummary(string Name, IReadOnlyList<ManifestInfo> Manifests);

public sealed record DatasetsView(IReadOnlyList<DatasetSummary> Datasets, bool CanAct);

/// <param name="Diff">Against the previous manifest of the same name.</param>
/// <param name="Note">The outcome of an extract that led here.</param>
public sealed record ManifestView(DatasetManifest Manifest, ManifestDiff Diff, IReadOnlyList<ManifestInfo> Siblings, bool CanAct, string? Note, IReadOnlyList<SkillRef> TrainedOn);

public sealed record AuditView(AuditReport Report);

/// <summary>How the dashboard writes numbers, times and ids.</summary>
public static class Fmt
{
    public static string Pct(double v) => v.ToString("P1", CultureInfo.InvariantCulture);
    public static string Pct(double? v) => v is { } x ? Pct(x) : "–";
    public static string Ms(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
    public static string Num(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
    public static string Delta(double? v) => v is { } x ? x.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "–";
    public static string Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "–";
    public static string Id12(string id) => id.Length > 12 ? id[..12] : id;
    public static string Bytes(long n) => n >= 1 << 20 ? (n / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB" : (n / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " kB";
    public static string Skill(string name, int version) => $"/skills/{Uri.EscapeDataString(name)}/{version.ToString(CultureInfo.InvariantCulture)}";
    public static string Thumb(string id, int size = 160) => $"/img/thumb/{id}?size={size.ToString(CultureInfo.InvariantCulture)}";
    public static string Seconds(double s) => s < 60 ? s.ToString("0", CultureInfo.InvariantCulture) + " s" : (s / 60).ToString("0.0", CultureInfo.InvariantCulture) + " min";
    public static string Inv(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>An extract run as the dashboard follows it: the ledger's record and the queue's word on its job.</summary>
/// <param name="DoneAt">When its batch recorded the result.</param>
public sealed record ExtractJobStatus(string RunId, ExtractRunContext Context, Jobs.JobStatus Status, ExtractJobResult? Result, DateTimeOffset QueuedAt, DateTimeOffset? DoneAt)
{
    public bool Done => Result is not null;
    /// <summary>The job cannot finish any more (failed, deleted, lost): nothing more will change.</summary>
    public bool Ended => Done || Status.State is Jobs.JobState.Failed or Jobs.JobState.Deleted or Jobs.JobState.Unknown;
    /// <summary>What live.js compares between polls: changes when the state does.</summary>
    public string Stamp => $"{Status.State}-{Done}";
}

/// <param name="Diff">Against the manifest that was newest when the extract was asked for (once done).</param>
/// <param name="Note">Said at the top (e.g. that a second click joined this run).</param>
public sealed record ExtractJobView(ExtractJobStatus Job, ManifestDiff? Diff, string? Note, string QueueLocation, DateTimeOffset Now);
