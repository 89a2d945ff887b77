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

        app.MapPost("/login", async (HttpContext ctx, [Microsoft.AspNetCore.Mvc.FromForm] string? token, UserService users, ServerOptions options, LoginThrottle throttle, AuditLog audit,
            TimeProvider time, CancellationToken ct) =>
        {
            var address = ctx.Connection.RemoteIpAddress;
            if (throttle.WaitFor(address) is { } wait)
            {
                audit.Write("sign-in-throttled", null, address);
                ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return PageResult.Of<LoginPage, LoginView>(new(null, $"Too many failed sign-ins from your address; try again in {Math.Ceiling(wait.TotalMinutes):0} minutes."), StatusCodes.Status429TooManyRequests);
            }
            var (outcome, user) = await users.SignInAsync(token, ct);
            if (outcome != SignInOutcome.SignedIn || user is null)
            {
                throttle.Failed(address);
                audit.Write("sign-in-failed", user?.Name, address, outcome.ToString());
                return PageResult.Of<LoginPage, LoginView>(new(null, outcome switch
                {
                    SignInOutcome.Expired => $"This login token expired on {user!.TokenExpiresAt!.Value.ToUniversalTime():yyyy-MM-dd HH:mm} UTC. Ask your administrator for a new login link.",
                    SignInOutcome.Revoked => "This account was revoked. Ask your administrator if this is a mistake.",
                    _ => "This token is unknown or no longer valid. Ask your administrator for a new login link.",
                }), StatusCodes.Status401Unauthorized);
            }
            throttle.Succeeded(address);
            audit.Write("sign-in", user.Name, address);
            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role.ToWire()), new Claim("uid", user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
            // A session never outlives the login token it came from.
            var expires = time.GetUtcNow() + options.SessionLifetime;
            if (user.TokenExpiresAt is { } tokenExpires && tokenExpires < expires) expires = tokenExpires;
            await ctx.SignInAsync(new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false, ExpiresUtc = expires });
            return Results.Redirect(user.Role.CanReview() ? "/review" : "/crowd", permanent: false, preserveMethod: false);
        });

        app.MapPost("/logout", async (HttpContext ctx, [Microsoft.AspNetCore.Mvc.FromForm] string? unused, AuditLog audit) =>
        {
            if (ctx.User.Identity?.IsAuthenticated == true) audit.Write("sign-out", ctx.User.Identity.Name, ctx.Connection.RemoteIpAddress);
            // Deletes the server-side session: a copy of the cookie no longer opens anything.
            await ctx.SignOutAsync();
            return Results.Redirect("/login");
        });
        return app;
    }
}
