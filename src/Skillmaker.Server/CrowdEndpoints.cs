using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Server.Pages;

namespace Skillmaker.Server;

/// <summary>The crowd task page: one crop, two plain questions, keyboard shortcuts, instructions with an
/// example per answer. Opening the page reserves nothing: a task is reserved when the worker presses
/// Start, and the next one when they send an answer (unless they send and stop).</summary>
public static class CrowdEndpoints
{
    public static IEndpointRouteBuilder MapCrowd(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/crowd").RequireAuthorization();
        group.MapGet("/", async (HttpContext ctx, bool? finished, CrowdService crowd, SignedImageLinks links, ServerOptions options, CancellationToken ct) =>
        {
            var worker = ctx.User.Identity!.Name!;
            var assignment = await crowd.HeldTaskAsync(worker, ct);
            var done = (await crowd.ScoreWorkersAsync(ct)).FirstOrDefault(s => s.Worker == worker)?.Answers ?? 0;
            if (assignment is not null)
                return PageResult.Of<CrowdTaskPage, CrowdTaskView>(new(assignment, links.PathFor(assignment.Task.ImageId, options.PageImageLinkLifetime), done,
                    await GuideAsync(crowd, links, options, ct)));
            if (finished == true) return PageResult.Of<NoTasksPage, NoTasksView>(new(done));
            return PageResult.Of<CrowdStartPage, CrowdStartView>(new(done, await GuideAsync(crowd, links, options, ct)));
        });

        group.MapPost("/start", async (HttpContext ctx, CrowdService crowd, CancellationToken ct) =>
            Results.Redirect(await crowd.NextTaskAsync(ctx.User.Identity!.Name!, ct) is null ? "/crowd?finished=true" : "/crowd"));

        group.MapPost("/answer", async (HttpContext ctx, [FromForm] long task, [FromForm] string? content, [FromForm] string? quality, [FromForm] string? then, CrowdService crowd, CancellationToken ct) =>
        {
            if (content is null || quality is null || !CrowdQuestions.IsContent(content) || !CrowdQuestions.IsQuality(quality))
                return Message("Answer both questions", "Please choose one answer for each of the two questions.", StatusCodes.Status400BadRequest);
            var worker = ctx.User.Identity!.Name!;
            var outcome = await crowd.SubmitAsync(task, worker, content, quality, ct);
            return outcome switch
            {
                // The worker is working: the next task is reserved now, so /crowd shows it at once.
                SubmitOutcome.Recorded when then == "stop" => Results.Redirect("/crowd"),
                SubmitOutcome.Recorded => Results.Redirect(await crowd.NextTaskAsync(worker, ct) is null ? "/crowd?finished=true" : "/crowd"),
                SubmitOutcome.AlreadyAnswered => Message("Already answered", "You already answered this task; your first answer is the one that counts.", StatusCodes.Status409Conflict),
                SubmitOutcome.NotAssigned => Message("Not your task", "This task was not given to you, so the answer was not recorded.", StatusCodes.Status409Conflict),
                SubmitOutcome.TaskFull => Message("Task already complete", "Your reservation ran out and other workers completed this task; the answer was not recorded.", StatusCodes.Status409Conflict),
                _ => Message("Unknown task", $"There is no task {task}.", StatusCodes.Status404NotFound),
            };
        });

        // Admins write what workers read about each answer, with an example crop.
        app.MapGet("/admin/instructions", async (bool? saved, CrowdService crowd, SignedImageLinks links, ServerOptions options, CancellationToken ct) =>
            PageResult.Of<InstructionsPage, InstructionsView>(new(await GuideAsync(crowd, links, options, ct), saved == true ? "Saved. Workers see the new instructions on their next page." : null, null)))
            .RequireAuthorization(Roles.AdminPolicy);
        app.MapPost("/admin/instructions", async (HttpContext ctx, CrowdService crowd, SignedImageLinks links, ServerOptions options, CancellationToken ct) =>
        {
            var form = await ctx.Request.ReadFormAsync(ct);
            var entries = CrowdQuestions.AllOptions.Where(o => form.ContainsKey($"text:{o.Key}"))
                .Select(o => (o.Key, form[$"text:{o.Key}"].ToString(), (string?)form[$"example:{o.Key}"].ToString())).ToList();
            try
            {
                await crowd.SaveGuideAsync(entries, ctx.User.Identity!.Name!, ct);
                return Results.Redirect("/admin/instructions?saved=true");
            }
            catch (SkillmakerException ex)
            {
                return PageResult.Of<InstructionsPage, InstructionsView>(new(await GuideAsync(crowd, links, options, ct), null, ex.Message), StatusCodes.Status400BadRequest);
            }
        }).RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    private static async Task<IReadOnlyList<GuideView>> GuideAsync(CrowdService crowd, SignedImageLinks links, ServerOptions options, CancellationToken ct) =>
        [.. (await crowd.GuideAsync(ct)).Select(g => new GuideView(g, g.ExampleImageId is { } id ? links.PathFor(id, options.PageImageLinkLifetime) : null))];

    private static IResult Message(string title, string text, int status) =>
        PageResult.Message(new MessageView(title, text, "/crowd", "Back to your tasks") { LinkClass = "button primary" }, status);
}
