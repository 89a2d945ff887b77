using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Review;
using static Skillmaker.Server.Html;

namespace Skillmaker.Server;

/// <summary>The expert review grid: crops grouped by label hint, bulk confirm, relabel, reject, undo.</summary>
public static class ReviewEndpoints
{
    private const int PageSize = 48;

    public static IEndpointRouteBuilder MapReview(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/review").RequireAuthorization(Roles.ReviewPolicy);
        group.MapGet("/", async (HttpContext ctx, string? group, int? page, bool? decided, string? note, ReviewService review, SignedImageLinks links, ICropBoxSource boxes, ServerOptions options, CancellationToken ct) =>
        {
            var groups = await review.GroupsAsync(ct);
            var current = group ?? groups.FirstOrDefault(g => g.Undecided > 0)?.Name ?? (groups.Count > 0 ? groups[0].Name : null);
            var pageNo = Math.Max(1, page ?? 1);
            var items = current is null ? [] : await review.ItemsAsync(new ReviewQuery
            {
                Group = current, IncludeDecided = decided == true, Offset = (pageNo - 1) * PageSize, Limit = PageSize + 1,
            }, ct);
            var hasNext = items.Count > PageSize;
            var shown = items.Take(PageSize).ToList();
            var cells = new List<string>();
            foreach (var item in shown)
                cells.Add(Cell(item, links.PathFor(item.CropId, options.PageImageLinkLifetime), await boxes.GetBoxAsync(item.CropId, ct)));
            var known = await review.KnownLabelsAsync(ct);
            var recent = await review.RecentAsync(ctx.User.Identity!.Name!, ct);
            string Link(string? g, int p, bool d) => $"/review?group={Uri.EscapeDataString(g ?? "")}&page={p}{(d ? "&decided=true" : "")}";
            var body = $"""
                <h1>Review crops</h1>
                {(note is null ? "" : $"""<p class="notice" role="status" id="note">{E(note)}</p>""")}
                <nav aria-label="Label groups"><ul class="groups">
                {string.Concat(groups.Select(g => $"""<li><a href="{E(Link(g.Name, 1, decided == true))}"{(g.Name == current ? " aria-current=\"page\"" : "")}>{E(g.Name)} <small>{g.Undecided}/{g.Total}</small></a></li>"""))}
                </ul></nav>
                {(current is null ? """<p id="empty">There are no crops yet. Run detection to cut crops from the photos.</p>""" : $"""
                <form method="post" action="/review/decide" id="decide">
                  {Antiforgery(ctx)}
                  <input type="hidden" name="group" value="{E(current)}">
                  <input type="hidden" name="page" value="{pageNo}">
                  <div class="toolbar" role="toolbar" aria-label="Decide selected crops">
                    <button type="button" id="select-all">Select all</button>
                    <button type="button" id="select-none">Select none</button>
                    {(current == Storage.Sqlite.SqliteReviewStore.NoHintGroup ? "" : $"""<button type="submit" name="action" value="confirm" class="primary" id="confirm">Confirm selected as “{E(current)}”</button>""")}
                    <label for="label">Relabel as</label>
                    <input type="text" id="label" name="label" list="known-labels" autocomplete="off" placeholder="type a label">
                    <button type="submit" name="action" value="relabel" id="relabel">Relabel selected</button>
                    <button type="submit" name="action" value="reject" class="danger" id="reject">Reject selected</button>
                    <a href="{E(Link(current, 1, decided != true))}">{(decided == true ? "Hide decided" : "Show decided")}</a>
                  </div>
                  <datalist id="known-labels">{string.Concat(known.Select(l => $"""<option value="{E(l)}">"""))}</datalist>
                  {(shown.Count == 0 ? """<p id="empty">Nothing left to decide in this group.</p>""" : $"""<div class="grid">{string.Concat(cells)}</div>""")}
                </form>
                <p>{(pageNo > 1 ? $"""<a href="{E(Link(current, pageNo - 1, decided == true))}">← Previous page</a> """ : "")}{(hasNext ? $"""<a href="{E(Link(current, pageNo + 1, decided == true))}">Next page →</a>""" : "")}</p>
                """)}
                {(recent.Count == 0 ? "" : $"""
                <h2>Your recent decisions</h2>
                <table id="recent"><tbody>
                {string.Concat(recent.Select(b => $"""
                  <tr><td>{E(b.RecordedAt.ToUniversalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture))}</td><td>{E(b.Action)}</td><td>{b.Crops} crop{(b.Crops == 1 ? "" : "s")}</td>
                  <td>{(b.Undone ? "undone" : $"""<form method="post" action="/review/undo" class="inline">{Antiforgery(ctx)}<input type="hidden" name="batch" value="{E(b.BatchId)}"><input type="hidden" name="group" value="{E(current)}"><button type="submit" class="link">Undo</button></form>""")}</td></tr>
                """))}
                </tbody></table>
                """)}
                """;
            return Page(ctx, "Review", body, script: "review.js");
        });

        group.MapPost("/decide", async (HttpContext ctx, [FromForm] string? action, [FromForm] string? group, [FromForm] string? label, [FromForm] int? page, ReviewService review, CancellationToken ct) =>
        {
            var form = await ctx.Request.ReadFormAsync(ct);
            var crops = form["crop"].Where(c => c is not null).Select(c => c!).ToList();
            var actor = ctx.User.Identity!.Name!;
            try
            {
                var batch = action switch
                {
                    "confirm" => await review.ConfirmAsync(crops, group ?? "", actor, ct),
                    "relabel" => await review.ConfirmAsync(crops, label ?? "", actor, ct),
                    "reject" => await review.RejectAsync(crops, actor, ct),
                    _ => throw new SkillmakerException($"Unknown action '{action}'; expected confirm, relabel or reject."),
                };
                var what = batch.Action.StartsWith("confirm:", StringComparison.Ordinal) ? $"labelled {batch.Action["confirm:".Length..]}" : "rejected";
                return Results.Redirect($"/review?group={Uri.EscapeDataString(group ?? "")}&page={page ?? 1}&note={Uri.EscapeDataString($"{batch.Crops} crop{(batch.Crops == 1 ? "" : "s")} {what}.")}");
            }
            catch (SkillmakerException ex)
            {
                return Page(ctx, "Not recorded", $"""<h1>Nothing was recorded</h1><p class="error" role="alert">{E(ex.Message)}</p><p><a href="/review?group={E(Uri.EscapeDataString(group ?? ""))}">Back to the grid</a></p>""", StatusCodes.Status400BadRequest);
            }
        });

        group.MapPost("/undo", async (HttpContext ctx, [FromForm] string batch, [FromForm] string? group, ReviewService review, CancellationToken ct) =>
        {
            var n = await review.UndoAsync(batch, ctx.User.Identity!.Name!, ct);
            return Results.Redirect($"/review?group={Uri.EscapeDataString(group ?? "")}&note={Uri.EscapeDataString($"Undone: {n} decision{(n == 1 ? "" : "s")} no longer count.")}");
        });
        return app;
    }

    private static string Cell(ReviewItem item, string cropPath, CropBox? box)
    {
        var parent = item.ParentId is null || box is null ? ""
            : $"""<img src="/img/parent/{E(item.CropId)}/thumb" alt="The photo the crop {item.CropId[..12]} was cut from, its box outlined" class="parent" loading="lazy">""";
        var decision = item.Decision is null ? ""
            : item.Decision.Status == LabelStatus.Rejected ? """<span class="badge rejected">rejected</span>"""
            : $"""<span class="badge confirmed">✓ {E(item.Decision.Label)}</span>""";
        var crowd = item.CrowdContent is null ? "" : $"""<small>crowd: {E(item.CrowdContent)}, {E(item.CrowdQuality)}{(item.CrowdEscalated ? " (unsure, for you)" : "")}</small>""";
        var shortId = item.CropId[..12];
        return $"""
            <label class="cell">
              <span><input type="checkbox" name="crop" value="{E(item.CropId)}"> <small>Crop {shortId} · {item.Width}×{item.Height}</small></span>
              <span class="pics{(parent.Length == 0 ? " single" : "")}"><img src="{E(cropPath)}" alt="Crop {shortId}" loading="lazy">{parent}</span>
              <span>{decision} {crowd}</span>
            </label>
            """;
    }

}
