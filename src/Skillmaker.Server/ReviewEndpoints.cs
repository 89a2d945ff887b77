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
            var cells = new List<ReviewCellView>();
            foreach (var item in items.Take(PageSize))
                cells.Add(new(item, links.PathFor(item.CropId, options.PageImageLinkLifetime), item.ParentId is not null && await boxes.GetBoxAsync(item.CropId, ct) is not null));
            return PageResult.Of<ReviewPage, ReviewView>(new(groups, current, pageNo, decided == true, note, cells, items.Count > PageSize,
                await review.KnownLabelsAsync(ct), await review.RecentAsync(ctx.User.Identity!.Name!, ct)));
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
                    "relabel" => await review.RelabelAsync(crops, label ?? "", form["new-class"] == "yes", actor, ct),
                    "reject" => await review.RejectAsync(crops, actor, ct),
                    _ => throw new SkillmakerException($"Unknown action '{action}'; expected confirm, relabel or reject."),
                };
                var what = batch.Action.StartsWith("confirm:", StringComparison.Ordinal) ? $"labelled {batch.Action["confirm:".Length..]}" : "rejected";
                return Results.Redirect($"/review?group={Uri.EscapeDataString(group ?? "")}&page={page ?? 1}&note={Uri.EscapeDataString($"{batch.Crops} crop{(batch.Crops == 1 ? "" : "s")} {what}.")}");
            }
            catch (SkillmakerException ex)
            {
                return PageResult.Message(new MessageView("Not recorded", ex.Message, $"/review?group={Uri.EscapeDataString(group ?? "")}", "Back to the grid") { Heading = "Nothing was recorded" },
                    StatusCodes.Status400BadRequest);
            }
        });

        group.MapPost("/undo", async (HttpContext ctx, [FromForm] string? batch, [FromForm] string? group, ReviewService review, ILoggerFactory logging, CancellationToken ct) =>
        {
            try
            {
                if (string.IsNullOrWhiteSpace(batch)) throw new SkillmakerException("No review action given; expected the batch of one of your recent decisions.");
                var n = await review.UndoAsync(batch, ctx.User.Identity!.Name!, ctx.User.IsInRole("admin"), ct);
                return Results.Redirect($"/review?group={Uri.EscapeDataString(group ?? "")}&note={Uri.EscapeDataString($"Undone: {n} decision{(n == 1 ? "" : "s")} no longer count.")}");
            }
            catch (SkillmakerException ex)
            {
                // The user's mistake (an unknown or someone else's batch): a page that says so and one warning line.
                var status = ex is NotAllowedException ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;
                logging.CreateLogger("Skillmaker.Server.Review").ClientError(ctx.Request.Method, ctx.Request.Path.Value ?? "", status, ex.Message);
                return PageResult.Message(new MessageView("Not undone", ex.Message, $"/review?group={Uri.EscapeDataString(group ?? "")}", "Back to the grid") { Heading = "Nothing was undone" }, status);
            }
        });
        return app;
    }
}
