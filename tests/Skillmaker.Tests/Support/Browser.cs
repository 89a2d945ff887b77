using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Microsoft.AspNetCore.Builder;
using Skillmaker.Server;

namespace Skillmaker.Tests.Support;

/// <summary>One headless Debian Chromium per test class, driven by Playwright.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDir
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists("/usr/bin/chromium"))
            throw new InvalidOperationException("Browser tests need Debian's chromium at /usr/bin/chromium; run .ci/install-deps.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>The real server on a free loopback port (real Kestrel), over a test workspace.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<RunningServer> StartAsync(TestWorkspace ws, ServerOptions? options = null)
    {
        var app = await SkillmakerServer.StartAsync(ws.Line(), (options ?? new ServerOptions()) with { Urls = "http://127.0.0.1:0", LogLevel = LogLevel.Warning }, CancellationToken.None);
        var address = app.Addresses().Single();
        return new RunningServer(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
