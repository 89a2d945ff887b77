using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Crowd;
using Skillmaker.Server.Pages;
using Skillmaker.Users;

namespace Skillmaker.Server;

/// <summary>The admin overview: who has access, how far the crowd is, how well each worker does on gold.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin", async (IUserStore users, CrowdService crowd, ServerOptions options, CancellationToken ct) =>
            PageResult.Of<AdminPage, AdminView>(new(options.Jobs is not null, await crowd.CountAsync(ct), await crowd.ScoreWorkersAsync(ct), await users.ListAsync(ct))))
            .RequireAuthorization(Roles.AdminPolicy);
        return app;
    }
}
