using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skillmaker.Catalog;
using Skillmaker.Crowd;
using Skillmaker.Detection;
using Skillmaker.Review;
using Skillmaker.Serving;
using Skillmaker.Host;
using Skillmaker.Server.Inference;
using Skillmaker.Users;

namespace Skillmaker.Server;

/// <summary>Server settings. Defaults suit one machine on a trusted network behind a TLS proxy.</summary>
public sealed record ServerOptions
{
    /// <summary>Where Kestrel listens. Default http://127.0.0.1:5080; port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";
    /// <summary>How long a login lasts before the token must be used again. Default 8 hours.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);
    /// <summary>How long an image link in a page stays valid. Default 30 minutes.</summary>
    public TimeSpan PageImageLinkLifetime { get; init; } = TimeSpan.FromMinutes(30);
    public CrowdOptions Crowd { get; init; } = new();
    /// <summary>Where the review grid's boxes come from. Default: the detection stage's records.</summary>
    public ICropBoxSource? Boxes { get; init; }
    /// <summary>The inference API (<c>/v1/classify</c>); null (default) serves only the pages.</summary>
    public InferenceSetup? Inference { get; init; }
    /// <summary>The job queue whose Hangfire dashboard admins see at <see cref="JobsDashboard.Path"/>. Default
    /// none (a workspace without a jobs section).</summary>
    public Hangfire.JobStorage? Jobs { get; init; }
    /// <summary>Minimum level of the server's own log. Default Warning.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
    /// <summary>Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For and X-Forwarded-Proto are
    /// believed: behind a TLS proxy the request counts as HTTPS, so cookies are <c>Secure</c>, and the client's
    /// address is the one throttled and audited. Default none (forwarded headers are ignored). The programs
    /// read it from <c>SKILLMAKER_TRUSTED_PROXIES</c> (comma-separated).</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    public const string TrustedProxiesVariable = "SKILLMAKER_TRUSTED_PROXIES";

    /// <summary>The trusted proxies from the environment variable <see cref="TrustedProxiesVariable"/>.</summary>
    public static IReadOnlyList<string> TrustedProxiesFrom(Func<string, string?> environment) =>
        (environment(TrustedProxiesVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}


public static class Roles
{
    public const string ReviewPolicy = "review";
    public const string AdminPolicy = "admin";
}

/// <summary>Builds the Skillmaker web host: one process, feature endpoint groups mapped onto it
/// (<see cref="CrowdEndpoints.MapCrowd"/>, <see cref="ReviewEndpoints.MapReview"/>, later the inference API).</summary>
public static class SkillmakerServer
{
    /// <summary>The 4xx status of an exception that is the client's doing (a malformed body, a slow upload,
    /// a refused action); null for a bug.</summary>
    internal static int? ClientError(Exception error) => error switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        Common.NotAllowedException => StatusCodes.Status403Forbidden,
        Common.SkillmakerException => StatusCodes.Status400BadRequest,
        InvalidDataException => StatusCodes.Status400BadRequest, // a malformed form read by the framework
        _ => null,
    };

    /// <summary>The server over the line's workspace, started and listening on <see cref="ServerOptions.Urls"/>
    /// (port 0 picks a free port; see <see cref="Addresses"/>). Disposing it stops it.</summary>
    public static async Task<WebApplication> StartAsync(LineServices line, ServerOptions options, CancellationToken cancellationToken)
    {
        var app = await BuildAsync(line, options, cancellationToken);
        try
        {
            await app.StartAsync(cancellationToken);
            app.Services.GetRequiredService<StartupLog>().Started = true;
            return app;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await app.DisposeAsync();
            throw new Common.SkillmakerException($"Cannot listen on {options.Urls}: the port is already in use (another `skillmaker serve`?). "
                + "Stop the process that holds it, or pick a free port with --urls (e.g. http://127.0.0.1:5081).", ex);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Until the server has started, the framework's own error logs (Kestrel's and the host's
    /// "failed to start", with stack traces) are held back: the caller reports a start failure once, as
    /// one line. After the start they pass as usual.</summary>
    internal sealed class StartupLog
    {
        public volatile bool Started;

        public bool Allows(string? category, LogLevel level) => Started || level < LogLevel.Error || category is null
            || !(category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) || category.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
                || category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal));
    }

    /// <summary>Where a started server listens, e.g. http://127.0.0.1:41234.</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>Skill versions the inference API serves now; null when it is off (no cascade).</summary>
    public static IReadOnlyDictionary<string, int>? ServedVersions(this WebApplication app) => app.Services.GetService<LiveSkills>()?.Versions;

    public static async Task<WebApplication> BuildAsync(LineServices line, ServerOptions options, CancellationToken cancellationToken)
    {
        var workspace = line.Workspace;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = workspace.Root, ApplicationName = "Skillmaker.Server" });
        builder.WebHost.UseUrls(options.Urls);
        var startup = new StartupLog();
        builder.Services.AddSingleton(startup);
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(options.LogLevel)
            .AddFilter((_, category, level) => level >= options.LogLevel && startup.Allows(category, level))
            // Keys sit in the workspace next to the catalog they protect; the "unencrypted" warning is expected.
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        var services = builder.Services;
        services.AddSingleton(options).AddSkillmaker(line, options.Crowd, await line.ImageLinksAsync(cancellationToken), options.Boxes);
        if (options.Jobs is not null) services.AddJobsDashboard();
        services.AddSingleton<DashboardActions>().AddSingleton<DashboardCache>().AddSingleton<DashboardJobs>()
            .AddSingleton(_ => line.FailureHeatmaps());

        // Cookie and antiforgery keys live in the workspace, so a restart keeps people signed in.
        services.AddDataProtection().SetApplicationName("skillmaker")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(workspace.StateDirectory, "server-keys")));
        services.AddProblemDetails();
        services.AddRazorComponents(); // the pages: Razor components rendered to static HTML
        services.AddAntiforgery(o => o.Cookie.Name = "skillmaker.csrf");
        services.AddSingleton(new LoginThrottle(line.Time)).AddSingleton(new AuditLog(Path.Combine(workspace.StateDirectory, "audit.log"), line.Time));
        // Sessions live on the server (the cookie holds an id): logout ends them everywhere.
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme).Configure<IDataProtectionProvider>((o, protection) =>
            o.SessionStore = new ServerSessions(Path.Combine(workspace.StateDirectory, "server-sessions"), protection, line.Time));
        if (options.TrustedProxies.Count > 0)
            services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                foreach (var proxy in options.TrustedProxies)
                {
                    if (System.Net.IPNetwork.TryParse(proxy, out var network)) o.KnownIPNetworks.Add(network);
                    else if (System.Net.IPAddress.TryParse(proxy, out var address)) o.KnownProxies.Add(address);
                    else throw new Common.SkillmakerException($"Trusted proxy '{proxy}' is neither an IP address nor a CIDR network (e.g. 10.0.0.1 or 10.0.0.0/8).");
                }
            });
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "skillmaker.session";
            o.Cookie.HttpOnly = true;
            // Secure whenever the request is HTTPS, including behind a trusted TLS proxy (forwarded headers).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.ExpireTimeSpan = options.SessionLifetime;
            o.SlidingExpiration = false;
            // The line's clock, as the session store and the token check use: one notion of "expired".
            o.TimeProvider = line.Time;
            o.LoginPath = "/login";
            // A revoked user is signed out at their next request, not when the cookie runs out.
            o.Events.OnValidatePrincipal = async ctx =>
            {
                var users = ctx.HttpContext.RequestServices.GetRequiredService<UserService>();
                if (!long.TryParse(ctx.Principal?.FindFirstValue("uid"), out var uid) || !await users.SessionStillValidAsync(uid, ctx.HttpContext.RequestAborted))
                {
                    ctx.RejectPrincipal();
                    await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                }
            };
            o.Events.OnRedirectToLogin = ctx =>
            {
                // Pages send people to the login form; images and POSTs just get 401.
                if (HttpMethods.IsGet(ctx.Request.Method) && !ctx.Request.Path.StartsWithSegments("/img")) ctx.Response.Redirect("/login");
                else ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
            o.Events.OnRedirectToAccessDenied = ctx =>
            {
                return Pages.PageResult.Forbidden().ExecuteAsync(ctx.HttpContext);
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.ReviewPolicy, p => p.RequireAuthenticatedUser().RequireClaim(ClaimTypes.Role, UserRole.Expert.ToWire(), UserRole.Admin.ToWire()))
            .AddPolicy(Roles.AdminPolicy, p => p.RequireAuthenticatedUser().RequireClaim(ClaimTypes.Role, UserRole.Admin.ToWire()));

        services.AddApiDocument();
        if (options.Inference is { } inference) services.AddSkillmakerInference(line, inference);

        var app = builder.Build();
        // Fail at start, naming the skill or file, rather than answer with half a cascade.
        if (options.Inference is not null) await app.Services.GetRequiredService<LiveSkills>().LoadAsync(cancellationToken);
        if (options.TrustedProxies.Count > 0) app.UseForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // The client's mistakes (a malformed or slow request, a refused action) are 4xx and one warning
            // line from the handler below, not an error with a stack trace; bugs keep the framework's error log.
            SuppressDiagnosticsCallback = c => ClientError(c.Exception) is not null,
            ExceptionHandler = ctx =>
            {
                // A user-facing error keeps its message; anything else is a bug and says only that.
                var error = ctx.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
                if (error is not null && ClientError(error) is { } status)
                {
                    ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Skillmaker.Server").ClientError(
                        ctx.Request.Method, ctx.Request.Path.Value ?? "", status, error.Message);
                    ctx.RequestServices.GetService<InferenceMetrics>()?.CountRefused(status == StatusCodes.Status408RequestTimeout ? "timeout" : "malformed");
                    return Results.Problem(error.Message, statusCode: status, title: error is Common.SkillmakerException ? "Request not possible" : "Bad request").ExecuteAsync(ctx);
                }
                return Results.Problem("An unexpected error occurred; the server log has the details.", statusCode: StatusCodes.Status500InternalServerError).ExecuteAsync(ctx);
            },
        });
        app.Use(async (ctx, next) =>
        {
            var h = ctx.Response.Headers;
            h.ContentSecurityPolicy = "default-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            await next(ctx);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        // For container health checks (`skillmaker healthcheck --url .../healthz`): the catalog answers.
        app.MapGet("/healthz", async (ICatalog catalog, CancellationToken ct) =>
            Results.Ok(new { status = "ok", schema = await catalog.GetSchemaVersionAsync(ct) }))
            .InApi().WithName("Health").WithSummary("Alive when the workspace's catalog answers (for container health checks)");
        app.MapAuth();
        app.MapSkillmakerAssets();
        app.MapImages();
        app.MapCrowd();
        app.MapReview();
        app.MapAdmin();
        app.MapDashboard();
        app.MapDashboardAssets();
        app.MapOpenApi("/openapi/{documentName}.json");
        if (options.Inference is not null) app.MapInference();
        if (options.Jobs is { } jobs) app.MapJobsDashboard(jobs);
        return app;
    }
}
