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
    public static Task<ICatalog> OpenCatalogAsync(Workspace workspace, CancellationToken cancellationToken) =>
        OpenCatalogAsync(workspace, Environment.GetEnvironmentVariable, cancellationToken);

    /// <summary>Opens and migrates the catalog; a PostgreSQL password comes from <paramref name="environment"/>
    /// (PGPASSWORD, with the host's credentials file).</summary>
    public static async Task<ICatalog> OpenCatalogAsync(Workspace workspace, Func<string, string?> environment, CancellationToken cancellationToken, int connectAttempts = 5)
    {
        var location = workspace.Config.Catalog;
        SqlCatalog catalog = location switch
        {
            _ when location.StartsWith("sqlite:", StringComparison.Ordinal) => new SqlCatalog(new SqliteDatabase(workspace.ResolveStatePath(location["sqlite:".Length..]))),
            _ when Postgres.PostgresDatabase.Handles(location) => new SqlCatalog(new Postgres.PostgresDatabase(location, connectAttempts, environment: environment)),
            _ => throw new SkillmakerException($"Workspace config {workspace.ConfigPath}: catalog '{location}' is not supported; expected sqlite:PATH or postgres://user@host[:port]/database[?schema=name]."),
        };
        await catalog.MigrateAsync(cancellationToken);
        return catalog;
    }

    /// <summary>The dataset store that lives beside the given catalog.</summary>
    public static Datasets.IDatasetStore DatasetStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlDatasetStore(sql),
        _ => throw new SkillmakerException($"No dataset store for the catalog at {catalog.Location}."),
    };

    public static Crowd.ICrowdStore CrowdStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlCrowdStore(sql),
        _ => throw new SkillmakerException($"No crowd store for the catalog at {catalog.Location}."),
    };

    public static Users.IUserStore UserStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlUserStore(sql),
        _ => throw new SkillmakerException($"No user store for the catalog at {catalog.Location}."),
    };

    public static Review.IReviewStore ReviewStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlReviewStore(sql),
        _ => throw new SkillmakerException($"No review store for the catalog at {catalog.Location}."),
    };

    /// <summary>The dashboard's read-only catalog queries, on the catalog's database.</summary>
    public static ICatalogBrowser CatalogBrowser(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlCatalogBrowser(sql),
        _ => throw new SkillmakerException($"No catalog browser for the catalog at {catalog.Location}."),
    };

    /// <summary>The alias registry that lives beside the given catalog.</summary>
    public static Registry.IAliasRegistry AliasRegistry(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlAliasRegistry(sql),
        _ => throw new SkillmakerException($"No alias registry for the catalog at {catalog.Location}."),
    };

    public static IBlobStore OpenBlobs(Workspace workspace) => OpenBlobs(workspace, Environment.GetEnvironmentVariable);

    /// <summary>A folder (default) or <c>s3://bucket/prefix</c>; S3 credentials come from the environment.</summary>
    public static IBlobStore OpenBlobs(Workspace workspace, Func<string, string?> environment)
    {
        var location = workspace.Config.Blobs;
        if (location.StartsWith("s3://", StringComparison.Ordinal))
        {
            var s3 = workspace.Config.S3 ?? new S3Settings();
            var endpoint = s3.Endpoint ?? environment("SKILLMAKER_S3_ENDPOINT");
            var key = environment("AWS_ACCESS_KEY_ID");
            var secret = environment("AWS_SECRET_ACCESS_KEY");
            if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret))
                throw new SkillmakerException($"Workspace config {workspace.ConfigPath} stores blobs in {location}, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set.");
            return new S3.S3BlobStore(location, endpoint, s3.Region ?? environment("AWS_REGION") ?? "us-east-1", s3.ForcePathStyle ?? endpoint is not null,
                new Amazon.Runtime.BasicAWSCredentials(key, secret));
        }
        if (location.Contains("://", StringComparison.Ordinal))
            throw new SkillmakerException($"Workspace config {workspace.ConfigPath}: blobs '{location}' is not supported; expected a folder path or s3://bucket/prefix.");
        return new FileBlobStore(workspace.ResolveStatePath(location.StartsWith("file:", StringComparison.Ordinal) ? location[5..] : location));
    }

    /// <summary>The job ledger that lives beside the catalog (same database, so batches and results commit together).</summary>
    /// <summary>The skill index that lives beside the given catalog.</summary>
    public static Skills.ISkillIndex SkillIndex(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlSkillIndex(sql),
        _ => throw new SkillmakerException($"No skill index for the catalog at {catalog.Location}."),
    };

    /// <summary>The artefact index that lives beside the given catalog (files published to the blob store by role).</summary>
    public static IArtefactIndex ArtefactIndex(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlArtefactIndex(sql),
        _ => throw new SkillmakerException($"No artefact index for the catalog at {catalog.Location}."),
    };

    /// <summary>True when the catalog is a server several machines share (PostgreSQL): skill packages are then
    /// published to the blob store and the skill index, so every machine can load them.</summary>
    public static bool IsShared(ICatalog catalog) => catalog is SqlCatalog { Database: not SqliteDatabase };

    public static Jobs.IJobLedger JobLedger(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlJobLedger(sql),
        _ => throw new SkillmakerException($"No job ledger for the catalog at {catalog.Location}."),
    };

    /// <summary>Shadow answer counts (serve with shadow on), beside the catalog.</summary>
    public static Serving.IShadowStore ShadowStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlShadowStore(sql),
        _ => throw new SkillmakerException($"No shadow answer store for the catalog at {catalog.Location}."),
    };

    /// <summary>The inference API's clients, beside the catalog.</summary>
    public static Serving.IApiKeyStore ApiKeyStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlApiKeyStore(sql),
        _ => throw new SkillmakerException($"No API key store for the catalog at {catalog.Location}."),
    };

    /// <summary>The detection store that lives beside the catalog (same database).</summary>
    public static Detection.IDetectionStore OpenDetectionStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlDetectionStore(sql),
        _ => throw new SkillmakerException($"No detection store for the catalog at {catalog.Location}."),
    };

    /// <summary>The crawl state that lives beside the catalog (same database).</summary>
    public static Sources.ICrawlStateStore OpenCrawlStateStore(ICatalog catalog) => catalog switch
    {
        SqlCatalog sql => new SqlCrawlStateStore(sql),
        _ => throw new SkillmakerException($"No crawl state store for the catalog at {catalog.Location}."),
    };
}
