using System.Text.Json.Nodes;

namespace Skillmaker.Tests.Support;

/// <summary>A server-mode workspace as an operator sets one up: PostgreSQL catalog and job queue, S3 blobs
/// (credentials and endpoint only in the environment of the processes), and real worker processes.</summary>
internal sealed class ServerWorkspace(TestWorkspace workspace, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    /// <summary>How long a worker may take to start, and a command to finish, before the test gives up.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    public TestWorkspace Workspace { get; } = workspace;
    public IReadOnlyDictionary<string, string> Environment { get; } = environment;

    /// <param name="jobs">Jobs settings beside the storage (batch size, timeouts).</param>
    public static async Task<ServerWorkspace> CreateAsync(PostgresFixture postgres, S3rverFixture s3, JsonObject jobs, long seed = 42, Action<JsonObject>? configure = null)
    {
        jobs["storage"] = postgres.NewLocation("hf");
        var environment = s3.Environment;
        var workspace = await TestWorkspace.CreateAsync(seed, catalogLocation: postgres.NewCatalogLocation(), environment: environment, configure: c =>
        {
            c["blobs"] = $"s3://{S3rverFixture.Bucket}/ws{Guid.NewGuid():N}";
            c["s3"] = new JsonObject { ["endpoint"] = s3.Endpoint };
            c["jobs"] = jobs;
            configure?.Invoke(c);
        });
        return new ServerWorkspace(workspace, environment);
    }

    /// <summary>The real command line in this process, with the workspace's environment.</summary>
    public Task<CliResult> CliAsync(params string[] args) =>
        CliRunner.RunAsync(Workspace.Root, Environment.ToDictionary(e => e.Key, e => (string?)e.Value), CancellationToken.None, args);

    /// <summary>Starts a <c>skillmaker worker</c> process taking one job at a time, with a cache of its own
    /// (beside the workspace, so nothing is left from other tests); see <see cref="ReadyAsync"/>.</summary>
    public CliProcess StartWorker(string name) => CliProcess.Start(Workspace.Root, Environment,
        "worker", "--workers", "1", "--name", name, "--cache", Path.Combine(Path.GetDirectoryName(Workspace.Root)!, $"worker-cache-{name}"));

    /// <summary>Waits until every worker says it takes jobs.</summary>
    public static Task ReadyAsync(params CliProcess[] workers) =>
        Task.WhenAll(workers.Select(w => w.WaitForAsync("takes jobs from queues", Patience)));

    public ValueTask DisposeAsync() => Workspace.DisposeAsync();
}
