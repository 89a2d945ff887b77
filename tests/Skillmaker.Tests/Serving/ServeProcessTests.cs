using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Skillmaker.Server;
using Skillmaker.Storage.Queue;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Serving;

/// <summary>Regression tests for issue 22's findings about what the running server prints and answers:
/// `serve` on a busy port, a user's mistake on /review/undo, GET /jobs/stats. The real `skillmaker serve`
/// process where its log is what is checked.</summary>
public sealed partial class ServeProcessTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Signs in with the login form and returns a client holding the session cookie.</summary>
    private static async Task<HttpClient> SignInAsync(string baseUrl, string token)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
        var signedIn = await PostFormAsync(http, "/login", "/login", ("token", token));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return http;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string path, string tokenPage, params (string Name, string Value)[] fields)
    {
        var html = await http.GetStringAsync(tokenPage);
        var form = fields.ToDictionary(f => f.Name, f => f.Value);
        form["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups[1].Value);
        return await http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task Serve_PortAlreadyInUse_OneLineNamingThePortAndWhatToDoNonZeroExit()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";

        await using var serve = CliProcess.Start(ws.Root, new Dictionary<string, string>(), "serve", "--urls", url);
        var result = await serve.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith($"error: Cannot listen on {url}: the port is already in use", line, StringComparison.Ordinal);
        Assert.Contains("--urls", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewUndo_UnknownBatch_400PageAndOneWarningLineNoErrorOrStackTrace()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var (_, token) = await ws.Line().Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        var url = $"http://127.0.0.1:{FreePort()}";
        await using var serve = CliProcess.Start(ws.Root, new Dictionary<string, string>(), "serve", "--urls", url);
        await serve.WaitForAsync("Ctrl-C stops", TimeSpan.FromMinutes(1));
        using var ana = await SignInAsync(url, token);

        var undo = await PostFormAsync(ana, "/review/undo", "/review", ("batch", "rv-0-nosuchbatch"));

        Assert.Equal(HttpStatusCode.BadRequest, undo.StatusCode);
        Assert.Contains("text/html", undo.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("Review action rv-0-nosuchbatch is unknown", WebUtility.HtmlDecode(await undo.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        await serve.TerminateAsync();
        var log = (await serve.WaitForExitAsync(TimeSpan.FromMinutes(1))).Error + serve.Output;
        Assert.Contains("warn: Skillmaker.Server.Review", log, StringComparison.Ordinal);
        Assert.Contains("POST /review/undo 400: Review action rv-0-nosuchbatch is unknown", log, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }

    [Collection(PostgresCollection.Name)]
    public sealed class JobsStatsTests(PostgresFixture postgres)
    {
        [Fact]
        public async Task JobsStats_Get_405WithAllowPostAndTheDashboardStillServed()
        {
            await using var ws = await TestWorkspace.CreateAsync();
            var (_, token) = await ws.Line().Users().AddAsync("root", UserRole.Admin, CancellationToken.None);
            var queue = await HangfireQueue.OpenAsync(postgres.NewLocation("hf"), new Jobs.JobsSettings(), QueueRole.Submitter, connectAttempts: 3, onRetry: null, environment: null, CancellationToken.None);
            await using var server = await Support.RunningServer.StartAsync(ws, new ServerOptions { Jobs = queue.Storage });
            using var admin = await SignInAsync(server.BaseUrl, token);

            using var stats = await admin.GetAsync("/jobs/stats");
            using var dashboard = await admin.GetAsync("/jobs");

            Assert.Equal(HttpStatusCode.MethodNotAllowed, stats.StatusCode);
            Assert.Equal(["POST"], stats.Content.Headers.Allow);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("Skillmaker jobs", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
