using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Users;
using Skillmaker.Server.Pages;
using Skillmaker.Crowd;

namespace Skillmaker.Server;

/// <summary>Sign-in by login link or pasted token; the token becomes a session cookie.</summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext ctx) => Results.Redirect(ctx.User.Identity?.IsAuthenticated == true
            ? (ctx.User.IsInRole("expert") || ctx.User.IsInRole("admin") ? "/review" : "/crowd") : "/login"));

        // The link only fills the form: a link preview or prefetch never signs anybody in.
        app.MapGet("/login", (string? token) => PageResult.Of<LoginPage, LoginView>(new(token, null)));

        app.MapPost("/login", async (HttpContext ctx, [Microsoft.AspNetCore.Mvc.FromForm] string? token, UserService users, ServerOptions options, CancellationToken ct) =>
        {
            var (outcome, user) = await users.SignInAsync(token, ct);
            if (outcome != SignInOutcome.SignedIn || user is null)
                return PageResult.Of<LoginPage, LoginView>(new(null, outcome switch
                {
                    SignInOutcome.Expired => $"This login token expired on {user!.TokenExpiresAt!.Value.ToUniversalTime():yyyy-MM-dd HH:mm} UTC. Ask your administrator for a new login link.",
                    SignInOutcome.Revoked => "This account was revoked. Ask your administrator if this is a mistake.",
                    _ => "This token is unknown or no longer valid. Ask your administrator for a new login link.",
                }), StatusCodes.Status401Unauthorized);
            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role.ToWire()), new Claim("uid", user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
            await ctx.SignInAsync(new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
            return Results.Redirect(user.Role.CanReview() ? "/review" : "/crowd", permanent: false, preserveMethod: false);
        });

        app.MapPost("/logout", async (HttpContext ctx, [Microsoft.AspNetCore.Mvc.FromForm] string? unused) =>
        {
            await ctx.SignOutAsync();
            return Results.Redirect("/login");
        });
        return app;
    }
}
