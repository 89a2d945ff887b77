using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Skillmaker.Server;

/// <summary>The Hangfire dashboard of the workspace's job queue, for admins only: queues, workers, running,
/// retried and failed jobs, with requeue and delete.</summary>
public static class JobsDashboard
{
    public const string Path = "/jobs";

    /// <summary>What the dashboard needs from the container; no Hangfire server runs in the web process.</summary>
    public static IServiceCollection AddJobsDashboard(this IServiceCollection services) => services.AddHangfire(_ => { });

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app, JobStorage storage)
    {
        var options = new DashboardOptions
        {
            DashboardTitle = "Skillmaker jobs",
            AppPath = "/admin",
            DisplayStorageConnectionString = false,
            Authorization = [],
            AsyncAuthorization = [new AdminOnly()],
        };
        // The endpoint policy sends strangers to the login page and others to "not allowed"; the filter
        // checks again inside Hangfire, so no other way into the dashboard skips the admin check.
        app.MapHangfireDashboard(Path, options, storage).RequireAuthorization(Roles.AdminPolicy);
        // The dashboard's live counters are POSTed forms; Hangfire reads the form of any other request
        // too and fails with a 500. Other methods get 405 (this literal route wins over the catch-all).
        app.MapMethods(Path + "/stats", [HttpMethods.Get, HttpMethods.Head, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch], (HttpContext ctx) =>
            {
                ctx.Response.Headers.Allow = HttpMethods.Post;
                return Results.Problem("The job counters are read with POST (a form of metrics[]), as the dashboard does.", statusCode: StatusCodes.Status405MethodNotAllowed, title: "Method not allowed");
            })
            .RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    /// <summary>The server's admin policy, as Hangfire asks for it.</summary>
    private sealed class AdminOnly : IDashboardAsyncAuthorizationFilter
    {
        public async Task<bool> AuthorizeAsync(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
            return (await authorization.AuthorizeAsync(http.User, Roles.AdminPolicy)).Succeeded;
        }
    }
}
