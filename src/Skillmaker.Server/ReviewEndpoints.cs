using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Review;
using Skillmaker.Server.Pages;

namespace Skillmaker.Server;

/// <summary>The expert review grid: crops grouped by label hint, filtered by source, size and detector
/// confidence; confirm, relabel, reject and undo. Plain form posts work without JavaScript (the page
/// reloads); review.js posts the same forms with <c>Accept: application/json</c> and fades the decided
/// tiles in place instead, so nothing moves under the cursor until the expert loads the next crops.</summary>
public static class ReviewEndpoints
{
    private const int PageSize = 48;

    public static IEndpointRouteBuilder MapReview(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/review").RequireAuthorization(Roles.ReviewPolicy);
        group.MapGet("/", async (HttpContext ctx, string? group, int? page, bool? decided, string? note, string? batch, string? crop, ReviewService review, SignedImageLinks links, ICropBoxSource boxes, ServerOptions options, CancellationToken ct) =>
        {
            ReviewFilter filter;
            try
            {
                filter = ReviewFilter.From(ctx.Request.Query);
            }
            catch (SkillmakerException ex)
            {
                return PageResult.Message(new MessageView("Bad filter", ex.Message, "/review", "Back to the grid") { Heading = "The filter is not valid" }, StatusCodes.Status400BadRequest);
            }
            var groups = await review.GroupsAsync(ct);
            // On one crop (a link from a dashboard failure): its group, decided or not, only that crop.
            var found = string.IsNullOrEmpty(crop) ? [] : await review.ItemsAsync(new ReviewQuery { CropId = crop, IncludeDecided = true, Limit = 1 }, ct);
            var one = found.Count > 0 ? found[0] : null;
            if (!string.IsNullOrEmpty(crop) && one is null)
                return DashboardEndpoints.Problem(ctx, StatusCodes.Status404NotFound, "No such crop", $"There is no crop '{crop}' to review; the review grid shows crops (images cut from photos by detection).", "/review", "The review grid");
            var current = one?.Group ?? group ?? groups.FirstOrDefault(g => g.Undecided > 0)?.Name ?? (groups.Count > 0 ? groups[0].Name : null);
            var pageNo = Math.Max(1, page ?? 1);
            var items = one is not null ? [one] : current is null ? [] : await review.ItemsAsync(filter.Apply(new ReviewQuery
            {
                Group = current, IncludeDecided = decided == true, Offset = (pageNo - 1) * PageSize, Limit = PageSize + 1,
            }), ct);
            if (one is not null) decided = true;
            var cells = new List<ReviewCellView>();
            foreach (var item in items.Take(PageSize))
                cells.Add(new(item, links.PathFor(item.CropId, options.PageImageLinkLifetime), item.ParentId is null ? null : await boxes.GetBoxAsync(item.CropId, ct)));
            var recent = await review.RecentAsync(ctx.User.Identity!.Name!, ct);
            return PageResult.Of<ReviewPage, ReviewView>(new(groups, current, pageNo, decided == true, note, cells, items.Count > PageSize,
                await review.RelabelChoicesAsync(ct), recent, filter, await review.SourcesAsync(ct))
            {
                // Undo sits beside the note of the action it undoes.
                LastBatch = batch is null ? null : recent.FirstOrDefault(b => b.BatchId == batch && !b.Undone),
            });
        });

        group.MapPost("/decide", async (HttpContext ctx, [FromForm] string? action, [FromForm] string? group, [FromForm] string? label, [FromForm(Name = "new-label")] string? newLabel, [FromForm] int? page, ReviewService review, CancellationToken ct) =>
        {
            var form = await ctx.Request.ReadFormAsync(ct);
            var crops = form["crop"].Where(c => c is not null).Select(c => c!).ToList();
            var actor = ctx.User.Identity!.Name!;
            var filter = ReviewFilter.FromForm(form);
            var back = ReviewView.Link(group, page ?? 1, false, filter);
            try
            {
                // A class typed as new wins over the list; the service refuses it unless "new class" is ticked.
                var chosen = string.IsNullOrWhiteSpace(newLabel) ? label : newLabel;
                var batch = action switch
                {
                    "confirm" => await review.ConfirmAsync(crops, group ?? "", actor, ct),
                    "relabel" => await review.RelabelAsync(crops, string.IsNullOrWhiteSpace(chosen) ? throw new SkillmakerException("Choose the class to relabel the selected crops as.") : chosen,
                        form["new-class"] == "yes", actor, ct),
                    "reject" => await review.RejectAsync(crops, actor, ct),
                    _ => throw new SkillmakerException($"Unknown action '{action}'; expected confirm, relabel or reject."),
                };
                var what = batch.Action.StartsWith("confirm:", StringComparison.Ordinal) ? $"labelled {batch.Action["confirm:".Length..]}" : "rejected";
                var text = $"{batch.Crops} crop{(batch.Crops == 1 ? "" : "s")} {what}.";
                if (WantsJson(ctx))
                    return Results.Json(new DecideAnswer(text, batch.BatchId, [.. crops.Distinct(StringComparer.Ordinal)],
                        batch.Action == "reject" ? "rejected" : $"✓ {batch.Action["confirm:".Length..]}", batch.Action == "reject" ? "rejected" : "confirmed"));
                return Results.Redirect($"{back}&note={Uri.EscapeDataString(text)}&batch={Uri.EscapeDataString(batch.BatchId)}");
            }
            catch (SkillmakerException ex)
            {
                if (WantsJson(ctx)) return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status400BadRequest);
                return PageResult.Message(new MessageView("Not recorded", ex.Message, back, "Back to the grid") { Heading = "Nothing was recorded" },
                    StatusCodes.Status400BadRequest);
            }
        });

        group.MapPost("/undo", async (HttpContext ctx, [FromForm] string? batch, [FromForm] string? group, [FromForm] int? page, ReviewService review, ILoggerFactory logging, CancellationToken ct) =>
        {
            var filter = ReviewFilter.FromForm(await ctx.Request.ReadFormAsync(ct));
            var back = ReviewView.Link(group, page ?? 1, false, filter);
            try
            {
                if (string.IsNullOrWhiteSpace(batch)) throw new SkillmakerException("No review action given; expected the batch of one of your recent decisions.");
                var n = await review.UndoAsync(batch, ctx.User.Identity!.Name!, ctx.User.IsInRole("admin"), ct);
                var text = $"Undone: {n} decision{(n == 1 ? "" : "s")} no longer count{(n == 1 ? "s" : "")}.";
                if (WantsJson(ctx)) return Results.Json(new { note = text, undone = n });
                return Results.Redirect($"{back}&note={Uri.EscapeDataString(text)}");
            }
            catch (SkillmakerException ex)
            {
                // The user's mistake (an unknown or someone else's batch): a page that says so and one warning line.
                var status = ex is NotAllowedException ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;
                logging.CreateLogger("Skillmaker.Server.Review").ClientError(ctx.Request.Method, ctx.Request.Path.Value ?? "", status, ex.Message);
                if (WantsJson(ctx)) return Results.Problem(detail: ex.Message, statusCode: status, title: "Nothing was undone");
                return PageResult.Message(new MessageView("Not undone", ex.Message, back, "Back to the grid") { Heading = "Nothing was undone" }, status);
            }
        });
        return app;
    }

    /// <summary>review.js asks for JSON; a plain form post (JavaScript off) gets the page again.</summary>
    private static bool WantsJson(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("application/json", StringComparison.Ordinal));

    /// <param name="Badge">What the decided tile now says (e.g. "✓ bmw_m3").</param>
    /// <param name="Status">confirmed or rejected.</param>
    private sealed record DecideAnswer(string Note, string Batch, IReadOnlyList<string> Crops, string Badge, string Status);
}
