using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Host;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Vision.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Support;

/// <summary>A real workspace (SQLite catalog, file blobs) in a temporary folder, owned by one test.</summary>
public sealed class TestWorkspace : IAsyncDisposable
{
    private readonly TempDir _dir;

    private readonly Func<string, string?> _environment;

    private TestWorkspace(TempDir dir, Workspace workspace, ICatalog catalog, IBlobStore blobs, Func<string, string?> environment)
    {
        _dir = dir;
        _environment = environment;
        Workspace = workspace;
        Catalog = catalog;
        Blobs = blobs;
    }

    public Workspace Workspace { get; }
    public ICatalog Catalog { get; }
    public IBlobStore Blobs { get; }
    public string Root => Workspace.Root;
    public TempDir Scratch => _dir;

    /// <param name="blobs">Another blob store than the workspace's folder (e.g. S3).</param>
    /// <param name="catalogLocation">Another catalog than SQLite, written into the workspace config as a user would.</param>
    /// <param name="configure">Further edits of the config, as a user would make them.</param>
    /// <param name="environment">Where the workspace's blob store finds credentials (default: this process's environment).</param>
    public static async Task<TestWorkspace> CreateAsync(long seed = 42, IBlobStore? blobs = null, string? catalogLocation = null,
        Action<JsonObject>? configure = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dir = new TempDir("ws");
        var workspace = await Workspace.InitAsync(Path.Combine(dir.Path, "ws"), seed, CancellationToken.None);
        if (catalogLocation is not null || configure is not null)
        {
            var config = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(workspace.ConfigPath))!;
            if (catalogLocation is not null) config["catalog"] = catalogLocation;
            configure?.Invoke(config);
            await File.WriteAllTextAsync(workspace.ConfigPath, config.ToJsonString());
            workspace = await Workspace.OpenAsync(workspace.Root, CancellationToken.None);
        }
        var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        Func<string, string?> variables = name => environment?.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name);
        return new TestWorkspace(dir, workspace, catalog, blobs ?? WorkspaceStorage.OpenBlobs(workspace, variables), variables);
    }

    /// <summary>A workspace whose catalog is a fresh schema on <paramref name="postgres"/> and whose blobs are a fresh prefix on <paramref name="s3"/>.</summary>
    public static Task<TestWorkspace> OnPostgresAsync(PostgresFixture postgres, S3rverFixture s3, long seed = 42) =>
        CreateAsync(seed, blobs: s3.Store($"ws{Guid.NewGuid():N}"), catalogLocation: postgres.NewCatalogLocation());

    /// <summary>The line's services over this workspace's open engines, as a command or the server gets them.</summary>
    public LineServices Line(LineContext? context = null) => LineServices.Over(Workspace, Catalog, Blobs, context ?? Context);

    /// <summary>No logging, this workspace's environment, assets found from the test binary's folder.</summary>
    public LineContext Context => new()
    {
        Logging = NullLoggerFactory.Instance,
        Environment = _environment,
        AssetSearchStart = [AppContext.BaseDirectory],
        User = "test",
    };

    public IngestService Ingest(IngestSettings? settings = null, TimeProvider? time = null) =>
        new(Catalog, Blobs, new SkiaImageProbe(), settings ?? Workspace.Config.Ingest, time ?? TimeProvider.System, NullLogger<IngestService>.Instance);

    public async ValueTask DisposeAsync()
    {
        (Blobs as IDisposable)?.Dispose();
        await Catalog.DisposeAsync();
        _dir.Dispose();
    }
}
