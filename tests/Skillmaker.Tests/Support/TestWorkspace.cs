using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Vision.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Support;

/// <summary>A real workspace (SQLite catalog, file blobs) in a temporary folder, owned by one test.</summary>
public sealed class TestWorkspace : IAsyncDisposable
{
    private readonly TempDir _dir;

    private TestWorkspace(TempDir dir, Workspace workspace, ICatalog catalog, IBlobStore blobs)
    {
        _dir = dir;
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
        return new TestWorkspace(dir, workspace, catalog, blobs ?? WorkspaceStorage.OpenBlobs(workspace, name => environment?.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name)));
    }

    /// <summary>A workspace whose catalog is a fresh schema on <paramref name="postgres"/> and whose blobs are a fresh prefix on <paramref name="s3"/>.</summary>
    public static Task<TestWorkspace> OnPostgresAsync(PostgresFixture postgres, S3rverFixture s3, long seed = 42) =>
        CreateAsync(seed, blobs: s3.Store($"ws{Guid.NewGuid():N}"), catalogLocation: postgres.NewCatalogLocation());

    public IngestService Ingest(IngestSettings? settings = null, TimeProvider? time = null) =>
        new(Catalog, Blobs, new SkiaImageProbe(), settings ?? Workspace.Config.Ingest, time ?? TimeProvider.System, NullLogger<IngestService>.Instance);

    public async ValueTask DisposeAsync()
    {
        (Blobs as IDisposable)?.Dispose();
        await Catalog.DisposeAsync();
        _dir.Dispose();
    }
}
