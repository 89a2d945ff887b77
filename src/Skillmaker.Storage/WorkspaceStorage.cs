using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Storage.Files;
using Skillmaker.Storage.Sqlite;
using Skillmaker.Workspaces;

namespace Skillmaker.Storage;

/// <summary>Opens the catalog and blob store a workspace's config names.</summary>
public static class WorkspaceStorage
{
    public static async Task<ICatalog> OpenCatalogAsync(Workspace workspace, CancellationToken cancellationToken)
    {
        var location = workspace.Config.Catalog;
        ICatalog catalog = location switch
        {
            _ when location.StartsWith("sqlite:", StringComparison.Ordinal) => new SqliteCatalog(workspace.ResolveStatePath(location["sqlite:".Length..])),
            _ => throw new SkillmakerException($"Workspace config {workspace.ConfigPath}: catalog '{location}' is not supported; expected sqlite:PATH (PostgreSQL comes with the scale-out work)."),
        };
        await catalog.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return catalog;
    }

    public static IBlobStore OpenBlobs(Workspace workspace)
    {
        var location = workspace.Config.Blobs;
        if (location.Contains("://", StringComparison.Ordinal))
            throw new SkillmakerException($"Workspace config {workspace.ConfigPath}: blobs '{location}' is not supported; expected a folder path.");
        return new FileBlobStore(workspace.ResolveStatePath(location.StartsWith("file:", StringComparison.Ordinal) ? location[5..] : location));
    }

    /// <summary>The detection store that lives beside the catalog (same database).</summary>
    public static Detection.IDetectionStore OpenDetectionStore(ICatalog catalog) => catalog switch
    {
        SqliteCatalog sqlite => new SqliteDetectionStore(sqlite),
        _ => throw new SkillmakerException($"Catalog {catalog.Location} has no detection store in this version; expected a sqlite: catalog."),
    };
}
