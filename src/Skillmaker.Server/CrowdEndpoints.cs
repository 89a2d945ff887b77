using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Crowd;
using static Skillmaker.Server.Html;

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
            if (assignment is null)
                return Page(ctx, "No tasks", $"""
                    <h1>No tasks right now</h1>
                    <p id="no-tasks">Thank you! You have answered {done} task{(done == 1 ? "" : "s")}. There is nothing left for you at the moment; come back later.</p>
                    """);
            return Page(ctx, "Describe the picture", TaskForm(ctx, assignment, links.PathFor(assignment.Task.ImageId, options.PageImageLinkLifetime), done), script: "crowd.js");
        });

        group.MapPost("/answer", async (HttpContext ctx, [FromForm] long task, [FromForm] string? content, [FromForm] string? quality, CrowdService crowd, CancellationToken ct) =>
        {
            if (content is null || quality is null || !CrowdQuestions.IsContent(content) || !CrowdQuestions.IsQuality(quality))
                return Message(ctx, "Answer both questions", "Please choose one answer for each of the two questions.", StatusCodes.Status400BadRequest);
            var outcome = await crowd.SubmitAsync(task, ctx.User.Identity!.Name!, content, quality, ct);
            return outcome switch
            {
                SubmitOutcome.Recorded => Results.Redirect("/crowd"),
                SubmitOutcome.AlreadyAnswered => Message(ctx, "Already answered", "You already answered this task; your first answer is the one that counts.", StatusCodes.Status409Conflict),
                SubmitOutcome.NotAssigned => Message(ctx, "Not your task", "This task was not given to you, so the answer was not recorded.", StatusCodes.Status409Conflict),
                SubmitOutcome.TaskFull => Message(ctx, "Task already complete", "Your reservation ran out and other workers completed this task; the answer was not recorded.", StatusCodes.Status409Conflict),
                _ => Message(ctx, "Unknown task", $"There is no task {task}.", StatusCodes.Status404NotFound),
            };
        });
        return app;
    }

    private static IResult Message(HttpContext ctx, string title, string text, int status) =>
        Page(ctx, title, $"""<h1>{E(title)}</h1><p class="error" role="alert">{E(text)}</p><p><a href="/crowd" class="button primary">Next task</a></p>""", status);

    private static string TaskForm(HttpContext ctx, CrowdAssignment a, string imagePath, int done)
    {
        static string Options(string name, IEnumerable<AnswerOption> options) => string.Concat(options.Select(o => $"""
                  <label class="option"><input type="radio" name="{name}" value="{E(o.Value)}" data-key="{o.Key}" required> <kbd>{char.ToUpperInvariant(o.Key)}</kbd> {E(o.Text)}</label>
            """));
        return $"""
            <h1>Describe the picture</h1>
            <p class="hint">Task {E(a.Task.PublicId)} · reserved for you until {a.ExpiresAt.ToUniversalTime().ToString("HH:mm", CultureInfo.InvariantCulture)} UTC · you have answered {done}.</p>
            <div class="task">
              <figure class="crop"><img src="{E(imagePath)}" alt="The picture to describe"></figure>
              <form method="post" action="/crowd/answer" id="answer" class="card">
                {Antiforgery(ctx)}
                <input type="hidden" name="task" value="{a.Task.Id}">
                <fieldset>
                  <legend>1. What does the picture show?</legend>
            {Options("content", CrowdQuestions.Content)}
                </fieldset>
                <fieldset>
                  <legend>2. How good is the picture?</legend>
            {Options("quality", CrowdQuestions.Quality)}
                </fieldset>
                <button type="submit" class="primary" id="submit">Send answer <kbd>Enter</kbd></button>
              </form>
            </div>
            <p class="hint">Keyboard: <kbd>1</kbd>–<kbd>8</kbd> answer question 1, <kbd>A</kbd> <kbd>S</kbd> <kbd>D</kbd> <kbd>F</kbd> <kbd>G</kbd> answer question 2, <kbd>Enter</kbd> sends.</p>
            """;
    }
}
