using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Skillmaker.Server;

/// <summary>Server-rendered pages: one layout, encoded values, an antiforgery field for forms.</summary>
internal static class Html
{
    public static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static string Antiforgery(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"""<input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken)}">""";
    }

    public static IResult Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK, string? script = null) =>
        Results.Content(Layout(context, title, body, script), "text/html; charset=utf-8", statusCode: status);

    public static Task WriteAsync(HttpContext context, string title, string body, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Layout(context, title, body, null));
    }

    private static string Layout(HttpContext context, string title, string body, string? script)
    {
        var user = context.User;
        var signedIn = user.Identity?.IsAuthenticated == true;
        var role = user.FindFirstValue(ClaimTypes.Role);
        var nav = !signedIn ? "" : $"""
            <nav aria-label="Main">
              <a href="/crowd">Crowd tasks</a>
              {(role is "expert" or "admin" ? """<a href="/review">Review</a>""" : "")}
              {(role is "admin" ? """<a href="/admin">Admin</a>""" : "")}
              <span class="who">Signed in as <b>{E(user.Identity!.Name)}</b> ({E(role)})</span>
              <form method="post" action="/logout" class="inline">{Antiforgery(context)}<button type="submit" class="link">Sign out</button></form>
            </nav>
            """;
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <title>{E(title)} · Skillmaker</title>
            <link rel="stylesheet" href="/assets/app.css">
            </head>
            <body>
            <header><span class="brand">Skillmaker</span>{nav}</header>
            <main id="main">
            {body}
            </main>
            {(script is null ? "" : $"""<script src="/assets/{script}"></script>""")}
            </body>
            </html>
            """;
    }
}
