using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Host;
using Skillmaker.Promotion;
using Skillmaker.Reports;
using Skillmaker.Server.Pages;
using Skillmaker.Server.Pages.Dashboard;
using Skillmaker.Skills;
using Skillmaker.Users;

namespace Skillmaker.Server;

/// <summary>The Skill Maker dashboard: the catalog (<c>/data</c>), the datasets and their manifests
/// (<c>/datasets</c>), every skill version (<c>/skills</c>). Experts and admins read; only admins extract and
/// promote. Pages are static HTML (they work without JavaScript); live.js refreshes the parts marked
/// <c>data-live</c> when <c>/dashboard/live</c> says something changed.</summary>
public static class DashboardEndpoints
{
    public const int PageSize = 48;
    public const int CellPageSize = 96;
    /// <summary>Failures a page on /failures (each with a heat map).</summary>
    public const int FailuresPageSize = 24;

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("").RequireAuthorization(Roles.ReviewPolicy);
        var act = app.MapGroup("").RequireAuthorization(Roles.AdminPolicy);

        read.MapGet("/data", DataAsync);
        read.MapGet("/data/{id}", ImageAsync);
        read.MapGet("/img/thumb/{id}", ThumbAsync);
        read.MapGet("/skills", async (LineServices line, CancellationToken ct) =>
            PageResult.Of<SkillsPage, SkillsView>(new(await line.SkillVersions().ListAsync(ct))));
        read.MapGet("/skills/{name}/compare", CompareAsync);
        read.MapGet("/skills/{name}/{version}", VersionAsync);
        read.MapGet("/skills/{name}/{version}/cell", CellAsync);
        read.MapGet("/skills/{name}/{version}/failures", FailuresAsync);
        read.MapGet("/skills/{name}/{version}/failures/{imageId}/heatmap.png", HeatmapAsync);
        read.MapGet("/skills/{name}/{version}/report.pdf", ReportAsync);
        read.MapGet("/datasets", async (HttpContext ctx, LineServices line, DashboardCache cache, CancellationToken ct) =>
            PageResult.Of<DatasetsPage, DatasetsView>(new(Datasets(await cache.ManifestListAsync(line, ct)), IsAdmin(ctx))));
        read.MapGet("/datasets/audit", async (LineServices line, CancellationToken ct) =>
            PageResult.Of<AuditPage, AuditView>(new(await line.Datasets().AuditSplitsAsync(ct))));
        read.MapGet("/datasets/manifests/{id}", ManifestAsync);
        read.MapGet("/dashboard/live", LiveAsync);
        read.MapGet("/datasets/jobs/{runId}", ExtractJobAsync);

        act.MapPost("/datasets/{name}/extract", ExtractAsync);
        act.MapGet("/skills/{name}/{version}/promote", PromoteCheckAsync);
        act.MapPost("/skills/{name}/{version}/promote", PromoteAsync);
        return app;
    }

    private static bool IsAdmin(HttpContext ctx) => ctx.User.FindFirstValue(ClaimTypes.Role) == UserRole.Admin.ToWire();

    /// <summary>A request the dashboard cannot answer: ProblemDetails for a JSON client, else a page saying why.</summary>
    internal static IResult Problem(HttpContext ctx, int status, string title, string message, string back, string backText)
    {
        if (WantsJson(ctx))
            return Results.Problem(message, statusCode: status, title: title);
        return PageResult.Message(new MessageView(title, message, back, backText), status);
    }

    // Data

    private static async Task<IResult> DataAsync(HttpContext ctx, string? source, string? label, string? provenance, string? status, string? split, string? set,
        string? kind, string? minw, string? minh, string? from, string? to, string? detection, string? crowd, string? after, LineServices line, DashboardCache cache, CancellationToken ct)
    {
        var form = new DataFilterForm(Blank(source), Blank(label), Blank(provenance), Blank(status), Blank(split), Blank(set), Blank(kind),
            Blank(minw), Blank(minh), Blank(from), Blank(to), Blank(detection), Blank(crowd));
        var (filter, parsed) = Parse(form);
        var errors = parsed.ToList();
        if (Blank(after) is { } start && (start.Length > 64 || !start.All(char.IsAsciiHexDigitLower)))
            errors.Add($"Page start '{start}' is not an image id; expected the lower-case hex digits of an image id, as the next-page link carries.");
        var browser = line.CatalogBrowser;
        var facets = await cache.FacetsAsync(line, ct);
        if (errors.Count > 0)
        {
            if (WantsJson(ctx))
                return Results.Problem(string.Join(" ", errors), statusCode: StatusCodes.Status400BadRequest, title: "Bad filter");
            return PageResult.Of<DataPage, DataView>(new(form, facets, errors, new BrowsePage([], null), null), StatusCodes.Status400BadRequest);
        }
        var page = await browser.BrowseAsync(new BrowseQuery(filter, Blank(after), PageSize), ct);
        return PageResult.Of<DataPage, DataView>(new(form, facets, [], page, Blank(after)));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The filter, or what is wrong with each bad value (named as the form names it).</summary>
    internal static (BrowseFilter Filter, IReadOnlyList<string> Errors) Parse(DataFilterForm form)
    {
        var errors = new List<string>();
        Provenance? provenance = null;
        if (form.Provenance is { } p)
        {
            if (Enum.TryParse<Provenance>(p, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(p, out _)) provenance = parsed;
            else errors.Add($"Provenance '{p}' is unknown; expected one of {string.Join(", ", Enum.GetValues<Provenance>().Select(v => v.ToWire()))}.");
        }
        LabelStatus? status = null;
        if (form.Status is { } s)
        {
            if (Enum.TryParse<LabelStatus>(s, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(s, out _)) status = parsed;
            else errors.Add($"Label status '{s}' is unknown; expected hint, confirmed or rejected.");
        }
        if (form.Split is { } split && !BrowseFilter.Splits.Contains(split))
            errors.Add($"Split '{split}' is unknown; expected train or test.");
        ImageKind? kind = null;
        if (form.Kind is { } k)
        {
            if (k is "original" or "crop") kind = k == "crop" ? ImageKind.Crop : ImageKind.Original;
            else errors.Add($"Image kind '{k}' is unknown; expected original or crop.");
        }
        int? Size(string? value, string what)
        {
            if (value is null) return null;
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100_000) return n;
            errors.Add($"{what} '{value}' is not a number of pixels; expected a whole number from 0 to 100000.");
            return null;
        }
        string? Day(string? value, string what)
        {
            if (value is null) return null;
            if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return value;
            errors.Add($"{what} '{value}' is not a date; expected yyyy-mm-dd, e.g. 2024-05-31.");
            return null;
        }
        var minWidth = Size(form.MinWidth, "Minimum width");
        var minHeight = Size(form.MinHeight, "Minimum height");
        var takenFrom = Day(form.From, "Taken from");
        var takenTo = Day(form.To, "Taken to");
        if (form.Detection is { } d && !BrowseFilter.DetectionOutcomes.Contains(d))
            errors.Add($"Detection outcome '{d}' is unknown; expected one of {string.Join(", ", BrowseFilter.DetectionOutcomes)}.");
        if (form.Crowd is { } c && !BrowseFilter.CrowdStates.Contains(c))
            errors.Add($"Crowd state '{c}' is unknown; expected one of {string.Join(", ", BrowseFilter.CrowdStates)}.");
        return (new BrowseFilter
        {
            Source = form.Source, Label = form.Label, LabelProvenance = provenance, LabelStatus = status, Split = form.Split, SetId = form.Set, Kind = kind,
            MinWidth = minWidth, MinHeight = minHeight, TakenFrom = takenFrom, TakenTo = takenTo, Detection = form.Detection,
            CrowdState = form.Crowd is { } cs && BrowseFilter.CrowdStates.Contains(cs) ? cs : null,
        }, errors);
    }

    private static async Task<string?> ResolveImageAsync(ICatalog catalog, string id, CancellationToken ct)
    {
        if (id.Length < 6 || id.Length > 64 || !id.All(char.IsAsciiHexDigitLower)) return null;
        if (id.Length == 64) return await catalog.ImageExistsAsync(id, ct) ? id : null;
        var found = await catalog.FindImageIdsByPrefixAsync(id, 2, ct);
        return found.Count == 1 ? found[0] : null;
    }

    private static async Task<IResult> ImageAsync(HttpContext ctx, string id, LineServices line, DashboardCache cache, CancellationToken ct)
    {
        var resolved = await ResolveImageAsync(line.Catalog, id, ct);
        var details = resolved is null ? null : await line.Catalog.GetImageAsync(resolved, ct);
        if (details is null)
            return Problem(ctx, StatusCodes.Status404NotFound, "No such image",
                $"There is no image '{id}' in the catalog; expected an image id (64 hex digits) or a unique prefix of one (6 or more).", "/data", "Back to the data");
        var usage = await line.CatalogBrowser.UsageAsync(details.Image.Id, 60, ct);
        var manifests = usage.Manifests.Select(m => m.ManifestId).ToHashSet(StringComparer.Ordinal);
        var tested = usage.Manifests.Where(m => m.Split == "test").Select(m => m.ManifestId).ToHashSet(StringComparer.Ordinal);
        var versions = line.SkillVersions();
        var stamp = await line.CatalogBrowser.ChangeStampAsync(ct);
        var usedBy = new List<SkillRef>();
        var failedIn = new List<Failure>();
        var failedBy = new List<SkillRef>();
        var ids = usage.Manifests.Select(m => m.ImageId).Append(details.Image.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var skill in await versions.ListAsync(ct))
            foreach (var v in skill.Versions.Where(v => manifests.Contains(v.Info.ManifestId)))
            {
                var r = new SkillRef(skill.Name, v.Info.Version);
                usedBy.Add(r);
                if (!tested.Contains(v.Info.ManifestId)) continue; // only a test image can be a failure
                var evaluation = (await cache.VersionAsync(line, r, ct, stamp)).Evaluation;
                foreach (var f in evaluation?.Failures.Where(f => ids.Contains(f.ImageId)) ?? [])
                {
                    failedIn.Add(f);
                    failedBy.Add(r);
                }
            }
        return PageResult.Of<ImagePage, ImageView>(new(details, usage, usedBy, failedIn, failedBy));
    }

    private static async Task<IResult> ThumbAsync(HttpContext ctx, string id, int? size, ICatalog catalog, IBlobStore blobs, CancellationToken ct)
    {
        if (id.Length != 64 || !id.All(char.IsAsciiHexDigitLower) || await catalog.GetImageAsync(id, ct) is not { } image)
            return Results.Problem("No such image.", statusCode: StatusCodes.Status404NotFound);
        var side = Math.Clamp(size ?? 320, 64, 1280);
        var bytes = await blobs.ReadAllBytesAsync(id, ct);
        ctx.Response.Headers.CacheControl = "private, max-age=600";
        return Results.Bytes(ImageEndpoints.Thumbnail(bytes, image.Image.Id, side, null), "image/jpeg");
    }

    // Skills

    private static SkillRef? Ref(string name, string version) =>
        int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 && name.Length is > 0 and <= 200 ? new SkillRef(name, v) : null;

    /// <summary>The version's details, or a 404 result naming what exists.</summary>
    private static async Task<(VersionDetails? Details, IResult? Missing)> FindAsync(HttpContext ctx, LineServices line, string name, string version, CancellationToken ct)
    {
        var cache = ctx.RequestServices.GetRequiredService<DashboardCache>();
        if (Ref(name, version) is not { } r)
            return (null, Problem(ctx, StatusCodes.Status404NotFound, "No such skill version", $"'{name}/{version}' is not a skill version; expected /skills/NAME/VERSION with a version number like 3.", "/skills", "All skills"));
        try
        {
            return (await cache.VersionAsync(line, r, ct), null);
        }
        catch (SkillmakerException ex)
        {
            return (null, Problem(ctx, StatusCodes.Status404NotFound, "No such skill version", ex.Message, "/skills", "All skills"));
        }
    }

    private static async Task<IResult> VersionAsync(HttpContext ctx, string name, string version, string? note, LineServices line, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        var others = await line.Training.Skills.VersionsAsync(name, ct);
        return PageResult.Of<VersionPage, VersionView>(new(details, others, IsAdmin(ctx), Blank(note),
            await CropsAsync(line, details.Evaluation?.Failures.Take(VersionView.FailuresShown).Select(f => f.ImageId) ?? [], ct)));
    }

    /// <summary>Which of <paramref name="ids"/> are crops (the review grid can relabel those).</summary>
    private static async Task<IReadOnlySet<string>> CropsAsync(LineServices line, IEnumerable<string> ids, CancellationToken ct)
    {
        var crops = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
            if (await line.Catalog.GetImageAsync(id, ct) is { Image.Kind: ImageKind.Crop }) crops.Add(id);
        return crops;
    }

    /// <summary>Where the version looked in one of its failures: the image with the true class's heat map (PNG).</summary>
    private static async Task<IResult> HeatmapAsync(HttpContext ctx, string name, string version, string imageId, LineServices line, FailureHeatmaps heatmaps, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        if (details.Evaluation?.Failures.FirstOrDefault(f => f.ImageId == imageId) is not { } failure)
            return Problem(ctx, StatusCodes.Status404NotFound, "No such failure", $"Image '{imageId}' is not a failure of {name} v{version}; expected the id of one of its failures.",
                $"/skills/{Uri.EscapeDataString(name)}/{version}", "Back to the version");
        try
        {
            var png = await heatmaps.OverlayPngAsync(new SkillRef(name, details.Info.Version), failure, ct);
            ctx.Response.Headers.CacheControl = "private, max-age=86400";
            return Results.Bytes(png, "image/png");
        }
        catch (SkillmakerException ex)
        {
            return Problem(ctx, StatusCodes.Status409Conflict, "No heat map", ex.Message, $"/skills/{Uri.EscapeDataString(name)}/{version}", "Back to the version");
        }
    }

    private static async Task<IResult> CellAsync(HttpContext ctx, string name, string version, string? t, string? p, string? page, LineServices line, DashboardCache cache, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        var back = $"/skills/{Uri.EscapeDataString(name)}/{version}";
        if (details.Evaluation is not { } evaluation)
            return Problem(ctx, StatusCodes.Status404NotFound, "No evaluation", $"{name} v{version} has no evaluation yet.", back, "Back to the version");
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var ti) || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pi)
            || ti >= evaluation.Classes.Count || pi >= evaluation.Classes.Count)
            return Problem(ctx, StatusCodes.Status400BadRequest, "No such cell",
                $"Cell t={t}, p={p} is not in the confusion matrix; expected class numbers from 0 to {evaluation.Classes.Count - 1}.", back, "Back to the version");
        var manifest = ti == pi ? await cache.ManifestAsync(line, evaluation.ManifestId, ct) : null;
        if (ti == pi && manifest is null)
            return Problem(ctx, StatusCodes.Status404NotFound, "No manifest", $"Manifest {Fmt.Id12(evaluation.ManifestId)} of this evaluation is not in the catalog.", back, "Back to the version");
        var images = SkillVersions.CellImages(evaluation, ti, pi, manifest!);
        return PageResult.Of<CellPage, CellView>(Cell(details, $"{evaluation.Classes[ti]} answered as {evaluation.Classes[pi]}", images, page,
            $"{back}/cell?t={ti}&p={pi}&"));
    }

    private static CellView Cell(VersionDetails details, string title, IReadOnlyList<string> images, string? page, string link, int size = CellPageSize)
    {
        var n = int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x > 0 ? x : 1;
        var failures = details.Evaluation!.Failures.ToDictionary(f => f.ImageId, StringComparer.Ordinal);
        return new CellView(details, title, images.Count, [.. images.Skip((n - 1) * size).Take(size)], failures, n, images.Count > n * size, link);
    }

    /// <summary>Every failure of a version, most confident first, a page at a time.</summary>
    private static async Task<IResult> FailuresAsync(HttpContext ctx, string name, string version, string? page, LineServices line, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        var back = $"/skills/{Uri.EscapeDataString(name)}/{version}";
        if (details.Evaluation is not { } evaluation)
            return Problem(ctx, StatusCodes.Status404NotFound, "No evaluation", $"{name} v{version} has no evaluation yet.", back, "Back to the version");
        var cell = Cell(details, $"All failures of {name} v{version}", [.. evaluation.Failures.Select(f => f.ImageId)], page, $"{back}/failures?", FailuresPageSize);
        return PageResult.Of<CellPage, CellView>(cell with { Crops = await CropsAsync(line, cell.Images, ct) });
    }

    private static async Task<IResult> ReportAsync(HttpContext ctx, string name, string version, LineServices line, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        if (details.ReportPath is not { } path)
            return Problem(ctx, StatusCodes.Status404NotFound, "No report", $"{name} v{version} has no report PDF in its package; `skillmaker report {name}@{version}` writes one.",
                $"/skills/{Uri.EscapeDataString(name)}/{version}", "Back to the version");
        return Results.File(path, "application/pdf", $"{name}-v{version}-report.pdf");
    }

    private static async Task<IResult> CompareAsync(HttpContext ctx, string name, string? a, string? b, LineServices line, CancellationToken ct)
    {
        var versions = (await line.Training.Skills.VersionsAsync(name, ct)).ToList();
        if (versions.Count == 0)
            return Problem(ctx, StatusCodes.Status404NotFound, "No such skill", $"There is no skill '{name}'.", "/skills", "All skills");
        var va = Blank(a) ?? (versions.Count > 1 ? versions[^2] : versions[^1]).ToString(CultureInfo.InvariantCulture);
        var vb = Blank(b) ?? versions[^1].ToString(CultureInfo.InvariantCulture);
        var (da, ma) = await FindAsync(ctx, line, name, va, ct);
        if (da is null) return ma!;
        var (db, mb) = await FindAsync(ctx, line, name, vb, ct);
        if (db is null) return mb!;
        return PageResult.Of<ComparePage, CompareView>(new(name, versions, SkillVersions.Compare(da, db)));
    }

    // Promotion: the gate's dry run first, then the promotion.

    private static async Task<IResult> PromoteCheckAsync(HttpContext ctx, string name, string version, LineServices line, DashboardActions actions, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        return PageResult.Of<PromotePage, PromoteView>(await actions.DryRunAsync(line, details, ctx.User.Identity!.Name!, ct));
    }

    private static async Task<IResult> PromoteAsync(HttpContext ctx, string name, string version, [FromForm] string? reason, [FromForm] string? force,
        LineServices line, DashboardActions actions, CancellationToken ct)
    {
        var (details, missing) = await FindAsync(ctx, line, name, version, ct);
        if (details is null) return missing!;
        var back = $"/skills/{Uri.EscapeDataString(name)}/{version}";
        if (await DashboardActions.NotACandidateAsync(line, details, ct) is { } problem)
            return Problem(ctx, StatusCodes.Status409Conflict, "Not promoted", problem, back, "Back to the version");
        try
        {
            var result = await actions.PromoteAsync(line, new PromotionRequest(new SkillRef(name, details.Info.Version), ctx.User.Identity!.Name!,
                force == "on", Blank(reason)), ct);
            return PageResult.Of<PromotedPage, PromotedView>(new(name, details.Info.Version, result));
        }
        catch (SkillmakerException ex)
        {
            return Problem(ctx, StatusCodes.Status400BadRequest, "Not promoted", ex.Message, back, "Back to the version");
        }
    }

    // Datasets

    internal static IReadOnlyList<DatasetSummary> Datasets(IReadOnlyList<ManifestInfo> manifests) =>
        [.. manifests.GroupBy(m => m.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new DatasetSummary(g.Key, [.. g.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id, StringComparer.Ordinal)]))];

    private static async Task<IResult> ManifestAsync(HttpContext ctx, string id, string? note, LineServices line, DashboardCache cache, CancellationToken ct)
    {
        var manifest = id.Length is >= 6 and <= 64 && id.All(char.IsAsciiHexDigitLower) ? await cache.ManifestAsync(line, id, ct) : null;
        if (manifest is null)
            return Problem(ctx, StatusCodes.Status404NotFound, "No such manifest", $"There is no manifest '{id}'; expected a manifest id or a unique prefix of one (6 or more hex digits).", "/datasets", "All datasets");
        var siblings = (await cache.ManifestListAsync(line, ct)).Where(m => m.Name == manifest.Name).OrderBy(m => m.CreatedAt).ToList();
        var previousInfo = siblings.Where(m => m.Id != manifest.Id && m.CreatedAt <= manifest.CreatedAt).LastOrDefault();
        var previous = previousInfo is null ? null : await cache.ManifestAsync(line, previousInfo.Id, ct);
        var trained = (await line.SkillVersions().ListAsync(ct)).SelectMany(s => s.Versions).Where(v => v.Info.ManifestId == manifest.Id)
            .Select(v => new SkillRef(v.Info.Name, v.Info.Version)).ToList();
        return PageResult.Of<ManifestPage, ManifestView>(new(manifest, cache.Diff(previous, manifest), siblings, IsAdmin(ctx), Blank(note), trained));
    }

    private static bool WantsJson(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("application/json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Queues an extract (or joins the one still running) and opens its job page; JSON clients get 202 with the run.</summary>
    private static async Task<IResult> ExtractAsync(HttpContext ctx, string name, LineServices line, DashboardCache cache, DashboardJobs jobs, CancellationToken ct)
    {
        if (!(await cache.ManifestListAsync(line, ct)).Any(m => m.Name == name))
            return Problem(ctx, StatusCodes.Status404NotFound, "No such dataset",
                $"There is no dataset '{name}'; a dataset appears here after its first `skillmaker extract DEF.json`.", "/datasets", "All datasets");
        try
        {
            var (runId, joined) = await jobs.ExtractAsync(line, name, ctx.User.Identity!.Name!, ct);
            var page = $"/datasets/jobs/{runId}";
            if (WantsJson(ctx)) return Results.Json(new { runId, joined, status = page }, statusCode: StatusCodes.Status202Accepted);
            return Results.Redirect(joined ? $"{page}?note={Uri.EscapeDataString($"An extract of {name} was already queued or running; this is that one (no second extract).")}" : page);
        }
        catch (SkillmakerException ex)
        {
            return Problem(ctx, StatusCodes.Status400BadRequest, "Not extracted", $"{ex.Message} Nothing was queued or changed.", "/datasets", "All datasets");
        }
    }

    /// <summary>An extract run: its page (progress, then the diff), or its state as JSON for live.js and scripts.</summary>
    private static async Task<IResult> ExtractJobAsync(HttpContext ctx, string runId, string? note, LineServices line, DashboardCache cache, DashboardJobs jobs, CancellationToken ct)
    {
        var job = runId.Length <= 100 ? await jobs.StatusAsync(line, runId, ct) : null;
        if (job is null)
            return Problem(ctx, StatusCodes.Status404NotFound, "No such extract", $"There is no extract run '{runId}'; an Extract button on /datasets starts one.", "/datasets", "All datasets");
        ManifestDiff? diff = null;
        if (job.Result is { } r && await cache.ManifestAsync(line, r.ManifestId, ct) is { } current)
        {
            var previous = job.Context.PreviousManifestId is { } p && p != r.ManifestId ? await cache.ManifestAsync(line, p, ct) : null;
            diff = job.Context.PreviousManifestId == r.ManifestId ? new ManifestDiff(r.ManifestId, [], [], []) : cache.Diff(previous, current);
        }
        if (WantsJson(ctx))
            return Results.Json(new
            {
                runId = job.RunId, dataset = job.Context.Dataset, state = job.Done ? "done" : job.Status.State.ToString().ToLowerInvariant(), error = job.Status.Error,
                stamp = job.Stamp, manifestId = job.Result?.ManifestId, created = job.Result?.Created, items = job.Result?.Items,
                added = diff?.Added.Count, removed = diff?.Removed.Count, moved = diff?.Moved.Count,
            });
        var dispatcher = await jobs.DispatcherAsync(line, ct);
        return PageResult.Of<ExtractJobPage, ExtractJobView>(new(job, diff, Blank(note), dispatcher.QueueLocation, line.Time.GetUtcNow()));
    }

    // Live

    private static async Task<IResult> LiveAsync(LineServices line, CancellationToken ct)
    {
        var stamp = await line.CatalogBrowser.ChangeStampAsync(ct);
        var versions = 0;
        foreach (var name in await line.Training.Skills.NamesAsync(ct)) versions += (await line.Training.Skills.VersionsAsync(name, ct)).Count;
        return Results.Json(new { stamp = $"{stamp}-{versions}" });
    }
}
