using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skillmaker.Crowd;
using Skillmaker.Users;
using static Skillmaker.Server.Html;

namespace Skillmaker.Server;

/// <summary>The admin overview: who has access, how far the crowd is, how well each worker does on gold.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin", async (HttpContext ctx, IUserStore users, CrowdService crowd, ServerOptions options, CancellationToken ct) =>
        {
            var all = await users.ListAsync(ct);
            var counts = await crowd.CountAsync(ct);
            var scores = await crowd.ScoreWorkersAsync(ct);
            static string Pct(double? v) => v is { } x ? x.ToString("P0", CultureInfo.InvariantCulture) : "–";
            static string Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "–";
            return Page(ctx, "Admin", $"""
                <h1>Admin</h1>
                {(options.Jobs is null ? "" : $"""<p id="jobs-link">Distributed runs: <a href="{JobsDashboard.Path}">job dashboard</a> (queues, workers, retried and failed jobs).</p>""")}
                <h2>Crowd queue</h2>
                <p id="queue">{counts.OpenTasks} open tasks need {counts.AssignmentsLeft} more answers · {counts.GoldTasks} gold tasks · {counts.Answers} answers · {counts.ConsolidatedTasks} consolidated.</p>
                <h2>Workers</h2>
                <table id="workers"><thead><tr><th scope="col">Worker</th><th scope="col">Answers</th><th scope="col">Gold answered</th><th scope="col">Gold content right</th><th scope="col">Gold quality right</th></tr></thead><tbody>
                {string.Concat(scores.Select(s => $"<tr><td>{E(s.Worker)}</td><td>{s.Answers}</td><td>{s.GoldAnswers}</td><td>{Pct(s.GoldContentAccuracy)}</td><td>{Pct(s.GoldQualityAccuracy)}</td></tr>"))}
                </tbody></table>
                <h2>Users</h2>
                <table id="users"><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Token expires</th><th scope="col">Revoked</th></tr></thead><tbody>
                {string.Concat(all.Select(u => $"<tr><td>{E(u.Name)}</td><td>{u.Role.ToWire()}</td><td>{Time(u.CreatedAt)}</td><td>{Time(u.TokenExpiresAt)}</td><td>{Time(u.RevokedAt)}</td></tr>"))}
                </tbody></table>
                <p class="hint">Add and revoke users with <code>skillmaker users add|revoke</code>.</p>
                """);
        }).RequireAuthorization(Roles.AdminPolicy);
        return app;
    }
}
