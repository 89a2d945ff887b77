using System.Text.Json.Nodes;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Workers;

/// <summary>A PostgreSQL server that asks for a password, as real ones do, for the tests that check where
/// the password goes (nowhere but the credentials file and the environment).</summary>
public sealed class PasswordPostgresFixture : IAsyncLifetime
{
    public string Password { get; } = $"pw-{Guid.NewGuid():N}";
    public LocalPostgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalPostgres.StartAsync("skillmaker_pw", Password);

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

/// <summary><c>init --catalog postgres://… --blobs s3://…</c> as a new user runs it, then machines that share
/// nothing but the servers: a worker in an empty folder with an empty HOME, a waiting command that lives
/// through a PostgreSQL restart.</summary>
public sealed class ServerSetupTests(PasswordPostgresFixture postgres, S3rverFixture s3, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<PasswordPostgresFixture>, IClassFixture<S3rverFixture>
{
    private static readonly TimeSpan Patience = ServerWorkspace.Patience;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {what}");

    private LocalPostgres Server => postgres.Server;

    private string Catalog(string? password, string schema) =>
        $"postgres://skillmaker{(password is null ? "" : ":" + password)}@127.0.0.1:{Server.Port}/{Server.Database}?schema={schema}";

    private string Queue => $"postgres://skillmaker@127.0.0.1:{Server.Port}/{Server.Database}?schema=hangfire";

    private Task<CliResult> InitAsync(TempDir dir, string catalog, string blobs, IReadOnlyDictionary<string, string?>? environment = null) =>
        CliRunner.RunAsync(dir.Path, environment ?? s3.Environment.ToDictionary(e => e.Key, e => (string?)e.Value), CancellationToken.None,
            "init", "ws", "--catalog", catalog, "--blobs", blobs, "--s3-endpoint", s3.Endpoint, "--seed", "7", "--json");

    [Fact]
    public async Task Init_PasswordInUrlThenIsolatedWorkerAndDatabaseRestartDuringWait_RunFinishesAndPasswordIsNowhereInTheDatabase()
    {
        using var dir = new TempDir("server-setup");
        var init = await InitAsync(dir, Catalog(postgres.Password, $"ws_{Guid.NewGuid():N}"), $"s3://{S3rverFixture.Bucket}/setup{Guid.NewGuid():N}");
        Assert.True(init.ExitCode == 0, init.Error);
        var root = Path.Combine(dir.Path, "ws");
        var configPath = Path.Combine(root, ".skillmaker", "config.json");
        var credentials = Path.Combine(root, ".skillmaker", "credentials");
        Assert.DoesNotContain(postgres.Password, await File.ReadAllTextAsync(configPath));
        Assert.Contains($"PGPASSWORD={postgres.Password}", await File.ReadAllTextAsync(credentials));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        Assert.Equal(Queue, init.Json.GetProperty("queue").GetString());
        Phase("init done");

        // The workspace's invisibility timeout, shared through the queue with workers that have no config.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(configPath))!;
        config["jobs"]!["invisibilityTimeoutSeconds"] = 7;
        config["jobs"]!["pollIntervalSeconds"] = 0.2;
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        // Submitted with no worker yet; the command's PGPASSWORD comes from the workspace's credentials file.
        using var photos = new TempDir("setup-photos");
        foreach (var photo in TestAssets.CarPhotos().Take(4)) File.Copy(photo, Path.Combine(photos.Path, Path.GetFileName(photo)));
        var submitted = await CliRunner.RunAsync(root, s3.Environment.ToDictionary(e => e.Key, e => (string?)e.Value), CancellationToken.None,
            "ingest", photos.Path, "-s", "setup", "--detach", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Error);
        var runId = submitted.Json.GetProperty("runId").GetString()!;

        // Another process waits; PostgreSQL restarts under it (every session ended with 57P01).
        await using var wait = CliProcess.Start(root, s3.Environment, "jobs", "wait", runId, "--json");
        await wait.WaitForAsync($"Waiting for ingest run {runId}", Patience);
        Phase("waiting; restart PostgreSQL");
        Server.Restart();
        Phase("restarted; start an isolated worker");

        // A machine with nothing of the submitter's: empty folder and HOME, the queue's URL, PGPASSWORD and S3 credentials.
        using var machine = new TempDir("machine");
        Directory.CreateDirectory(Path.Combine(machine.Path, "home"));
        var machineEnvironment = new Dictionary<string, string>(s3.Environment) { ["PGPASSWORD"] = postgres.Password, ["HOME"] = Path.Combine(machine.Path, "home") };
        await using var worker = CliProcess.Start(machine.Path, machineEnvironment, "worker", "--storage", Queue, "--workers", "1", "--threads", "1", "--name", "isolated",
            "--postgres-host", $"127.0.0.1:{Server.Port}", "--cache", Path.Combine(machine.Path, "cache"));
        await worker.WaitForAsync("takes jobs from queues", Patience);
        // (The console wraps long lines.)
        Assert.Contains("a job of a dead worker returns after 7 s", System.Text.RegularExpressions.Regex.Replace(worker.Output, @"\s+", " "));

        var waited = await wait.WaitForExitAsync(Patience);
        Phase("wait finished");
        Assert.True(waited.ExitCode == 0, $"{waited.Error}\nworker:\n{worker.Error}");
        Assert.Equal(4, waited.Json.GetProperty("added").GetInt32());
        Assert.Contains("Lost the database while waiting", waited.Error);

        // The password is nowhere in the database: not in the catalog, the job ledger, nor Hangfire's jobs.
        var dump = Server.Dump();
        Assert.Contains(runId, dump);
        Assert.DoesNotContain(postgres.Password, dump);
        Phase("done");
    }

    [Fact]
    public async Task Init_ServerAsksForPasswordAndNoneGiven_SaysSetPgPasswordAndCreatesNothing()
    {
        using var dir = new TempDir("server-setup");
        var init = await InitAsync(dir, Catalog(null, "nopw"), $"s3://{S3rverFixture.Bucket}/nopw");
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("asks for a password and none was given: set PGPASSWORD", init.Error);
        Assert.DoesNotContain("unexpected", init.Error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "ws", ".skillmaker")));
    }

    [Fact]
    public async Task Init_ServerNotListening_SaysNotReachable()
    {
        using var dir = new TempDir("server-setup");
        var init = await InitAsync(dir, $"postgres://skillmaker@127.0.0.1:1/{Server.Database}?schema=x", $"s3://{S3rverFixture.Bucket}/x");
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("Cannot connect to PostgreSQL at postgres://skillmaker@127.0.0.1:1/", init.Error);
        Assert.Contains("Is the server running and reachable?", init.Error);
    }

    [Fact]
    public async Task Init_BucketMissing_SaysCreateIt()
    {
        using var dir = new TempDir("server-setup");
        var environment = s3.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        environment["PGPASSWORD"] = postgres.Password;
        var init = await InitAsync(dir, Catalog(null, "nobucket"), "s3://no-such-bucket-here/p", environment);
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("Bucket 'no-such-bucket-here' does not exist", init.Error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "ws", ".skillmaker")));
    }
}
