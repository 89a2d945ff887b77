using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Crowd;
using Skillmaker.Server.Pages;

namespace Skillmaker.Server;

/// <summary>The crowd task page: one crop, two plain questions, keyboard shortcuts.</summary>
public static class CrowdEndpoints
{
    public static IEndpointRouteBuilder MapCrowd(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/crowd").RequireAuthorization();
        group.MapGet("/", async (HttpContext ctx, CrowdService crowd, SignedImageLinks links, ServerOptions options, CancellationToken ct) =>
        {
            var worker = ctx.User.Identity!.Name!;
            var assignment = await crowd.NextTaskAsync(worker, ct);
            var done = (await crowd.ScoreWorkersAsync(ct)).FirstOrDefault(s => s.Worker == worker)?.Answers ?? 0;
            return assignment is null
                ? PageResult.Of<NoTasksPage, NoTasksView>(new(done))
                : PageResult.Of<CrowdTaskPage, CrowdTaskView>(new(assignment, links.PathFor(assignment.Task.ImageId, options.PageImageLinkLifetime), done));
        });

        group.MapPost("/answer", async (HttpContext ctx, [FromForm] long task, [FromForm] string? content, [FromForm] string? quality, CrowdService crowd, CancellationToken ct) =>
        {
            if (content is null || quality is null || !CrowdQuestions.IsContent(content) || !CrowdQuestions.IsQuality(quality))
                return Message("Answer both questions", "Please choose one answer for each of the two questions.", StatusCodes.Status400BadRequest);
            var outcome = await crowd.SubmitAsync(task, ctx.User.Identity!.Name!, content, quality, ct);
            return outcome switch
            {
                SubmitOutcome.Recorded => Results.Redirect("/crowd"),
                SubmitOutcome.AlreadyAnswered => Message("Already answered", "You already answered this task; your first answer is the one that counts.", StatusCodes.Status409Conflict),
                SubmitOutcome.NotAssigned => Message("Not your task", "This task was not given to you, so the answer was not recorded.", StatusCodes.Status409Conflict),
                SubmitOutcome.TaskFull => Message("Task already complete", "Your reservation ran out and other workers completed this task; the answer was not recorded.", StatusCodes.Status409Conflict),
                _ => Message("Unknown task", $"There is no task {task}.", StatusCodes.Status404NotFound),
            };
        });
        return app;
    }

    private static IResult Message(string title, string text, int status) =>
        PageResult.Message(new MessageView(title, text, "/crowd", "Next task") { LinkClass = "button primary" }, status);
}
