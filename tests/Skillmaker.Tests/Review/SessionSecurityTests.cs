using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skillmaker.Server;
using Skillmaker.Tests.Support;
using Skillmaker.Users;

namespace Skillmaker.Tests.Review;

/// <summary>Regression tests for the session findings of issue 22: logout ends the session everywhere, a
/// session ends with its login token, undo only by the batch's owner or an admin, login throttling with
/// an audit log, Secure cookies behind a trusted TLS proxy. Plain HTTP with a cookie jar, on loopback.</summary>
public sealed partial class SessionSecurityTests
{
    private const string SessionCookie = "skillmaker.session";

    private sealed class Browser : IDisposable
    {
        public CookieContainer Jar { get; } = new();
        public HttpClient Http { get; }

        public Browser(string baseUrl)
        {
            Http = new HttpClient(new HttpClientHandler { CookieContainer = Jar, AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
        }

        /// <summary>The page's antiforgery token (every form of the server carries one).</summary>
        public async Task<string> FormTokenAsync(string page)
        {
            var html = await Http.GetStringAsync(page);
            return AntiforgeryField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"{page} has no antiforgery token");
        }

        public Task<HttpResponseMessage> PostAsync(string path, string tokenPage, params (string Name, string Value)[] fields) => PostAsync(path, tokenPage, fields, []);

        /// <summary>Posts a form with the antiforgery token of <paramref name="tokenPage"/>; <paramref name="headers"/> on the POST only.</summary>
        public async Task<HttpResponseMessage> PostAsync(string path, string tokenPage, (string Name, string Value)[] fields, (string Name, string Value)[] headers)
        {
            var form = new Dictionary<string, string>(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))) { ["__RequestVerificationToken"] = await FormTokenAsync(tokenPage) };
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            foreach (var (name, value) in headers) request.Headers.Add(name, value);
            return await Http.SendAsync(request);
        }

        public Task<HttpResponseMessage> SignInAsync(string token, params (string Name, string Value)[] headers) =>
            PostAsync("/login", "/login", [("token", token)], headers);

        public void Dispose() => Http.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Fact]
    public async Task Logout_CookieCopiedBefore_NoLongerOpensReview()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var (_, token) = await ws.Line().Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        using var ana = new Browser(server.BaseUrl);
        Assert.Equal(HttpStatusCode.Redirect, (await ana.SignInAsync(token)).StatusCode);
        var copied = ana.Jar.GetCookies(ana.Http.BaseAddress!)[SessionCookie]!.Value;
        using var thief = new Browser(server.BaseUrl);
        thief.Jar.Add(ana.Http.BaseAddress!, new Cookie(SessionCookie, copied));
        Assert.Equal(HttpStatusCode.OK, (await thief.Http.GetAsync("/review")).StatusCode);

        var logout = await ana.PostAsync("/logout", "/review");

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        var after = await thief.Http.GetAsync("/review");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/login", after.Headers.Location!.OriginalString);
        var audited = (await File.ReadAllLinesAsync(Path.Combine(ws.Workspace.StateDirectory, "audit.log"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["sign-in", "sign-out"], audited.Select(e => e.GetProperty("event").GetString()));
        Assert.All(audited, e => Assert.Equal("ana", e.GetProperty("user").GetString()));
    }

    [Fact]
    public async Task Session_LoginTokenExpiresFirst_SessionEndsWithTheToken()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var (_, token) = await ws.Line().Users().AddAsync("ana", UserRole.Expert, CancellationToken.None, tokenLifetime: TimeSpan.FromSeconds(3));
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { SessionLifetime = TimeSpan.FromHours(8) });
        using var ana = new Browser(server.BaseUrl);
        Assert.Equal(HttpStatusCode.Redirect, (await ana.SignInAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ana.Http.GetAsync("/review")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var after = await ana.Http.GetAsync("/review");

        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/login", after.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Undo_AnotherExpertsBatch_403AndNothingUndoneButAnAdminMay()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var batch = await ws.Line().Review().ConfirmAsync([crops[0].CropId], crops[0].Label, "ana", CancellationToken.None);
        var (_, bo) = await ws.Line().Users().AddAsync("bo", UserRole.Expert, CancellationToken.None);
        var (_, admin) = await ws.Line().Users().AddAsync("root", UserRole.Admin, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { Boxes = new Crops.Boxes(crops) });
        using var other = new Browser(server.BaseUrl);
        await other.SignInAsync(bo);

        var refused = await other.PostAsync("/review/undo", "/review", ("batch", batch.BatchId));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("only they or an admin", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var boss = new Browser(server.BaseUrl);
        await boss.SignInAsync(admin);
        var undone = await boss.PostAsync("/review/undo", "/review", ("batch", batch.BatchId));
        Assert.Equal(HttpStatusCode.Redirect, undone.StatusCode);
        Assert.Contains("Undone%3A%201%20decision", undone.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Login_FailuresFromOneAddress_ThrottledWithRetryAfterAndAudited()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var (_, token) = await ws.Line().Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws);
        using var guesser = new Browser(server.BaseUrl);

        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < LoginThrottle.MaxFailures; i++) failures.Add((await guesser.SignInAsync($"smk_guess-{i}")).StatusCode);
        var throttled = await guesser.SignInAsync(token);

        Assert.All(failures, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.InRange(throttled.Headers.RetryAfter!.Delta!.Value.TotalMinutes, 14, 15);
        var audit = Path.Combine(ws.Workspace.StateDirectory, "audit.log");
        var events = (await File.ReadAllLinesAsync(audit)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()).ToList();
        Assert.Equal([.. Enumerable.Repeat("sign-in-failed", LoginThrottle.MaxFailures), "sign-in-throttled"], events);
        Assert.DoesNotContain("smk_guess", await File.ReadAllTextAsync(audit), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(audit));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Login_BehindTlsProxy_SessionCookieSecureOnlyWhenTheProxyIsTrusted(bool trusted)
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var (_, token) = await ws.Line().Users().AddAsync("ana", UserRole.Expert, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(ws, new ServerOptions { TrustedProxies = trusted ? ["127.0.0.1"] : [] });
        using var ana = new Browser(server.BaseUrl);

        var signIn = await ana.SignInAsync(token, ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.9"));

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var session = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(SessionCookie + "=", StringComparison.Ordinal));
        Assert.Equal(trusted, session.Contains("; secure", StringComparison.OrdinalIgnoreCase));
        var audited = await File.ReadAllTextAsync(Path.Combine(ws.Workspace.StateDirectory, "audit.log"));
        Assert.Contains(trusted ? "203.0.113.9" : "127.0.0.1", audited, StringComparison.Ordinal);
    }
}
