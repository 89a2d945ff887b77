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

    /// <summary>The dataset store that lives beside the given catalog.</summary>
    public static Datasets.IDatasetStore DatasetStore(ICatalog catalog) => catalog switch
    {
        SqliteCatalog sqlite => new SqliteDatasetStore(sqlite),
        _ => throw new SkillmakerException($"No dataset store for the catalog at {catalog.Location}."),
    };

    public static Crowd.ICrowdStore CrowdStore(ICatalog catalog) => catalog switch
    {
        SqliteCatalog sqlite => new SqliteCrowdStore(sqlite),
        _ => throw new SkillmakerException($"No crowd store for the catalog at {catalog.Location}."),
    };

    public static Users.IUserStore UserStore(ICatalog catalog) => catalog switch
    {
        SqliteCatalog sqlite => new SqliteUserStore(sqlite),
        _ => throw new SkillmakerException($"No user store for the catalog at {catalog.Location}."),
    };

    public static Review.IReviewStore ReviewStore(ICatalog catalog) => catalog switch
    {
        SqliteCatalog sqlite => new SqliteReviewStore(sqlite),
        _ => throw new SkillmakerException($"No review store for the catalog at {catalog.Location}."),
    };

    public static IBlobStore OpenBlobs(Workspace workspace)
    {
        var location = workspace.Config.Blobs;
        if (location.Contains("://", StringComparison.Ordinal))
            throw new SkillmakerException($"Workspace config {workspace.ConfigPath}: blobs '{location}' is not supported; expected a folder path.");
        return new FileBlobStore(workspace.ResolveStatePath(location.StartsWith("file:", StringComparison.Ordinal) ? location[5..] : location));
    }
}
