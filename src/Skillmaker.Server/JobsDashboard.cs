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

    /// <summary>What the dashboard needs from the container; no Hangfire server runs in the web process.
    /// AddHangfire would point Hangfire's process-wide logger at this host's logger factory, which dies with
    /// the host: any queue opened afterwards in the same process (a CLI command run after a server stopped,
    /// the next server) then fails with ObjectDisposedException. The dashboard logs nothing worth that.</summary>
    public static IServiceCollection AddJobsDashboard(this IServiceCollection services) =>
        services.AddHangfire(c => c.UseLogProvider(new SilentLogProvider()));

    private sealed class SilentLogProvider : Hangfire.Logging.ILogProvider, Hangfire.Logging.ILog
    {
        public Hangfire.Logging.ILog GetLogger(string name) => this;

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }

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
