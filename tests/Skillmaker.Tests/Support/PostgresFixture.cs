namespace Skillmaker.Tests.Support;

/// <summary>A real PostgreSQL server (see <see cref="LocalPostgres"/>) for a test collection. Each test
/// takes a schema of its own, so tests own their data and never see each other's.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Database = "skillmaker_test";
    private LocalPostgres? _server;

    public int Port => Server.Port;
    private LocalPostgres Server => _server ?? throw new InvalidOperationException("PostgreSQL is not started yet.");

    /// <summary>A workspace catalog location with a fresh schema.</summary>
    public string NewCatalogLocation() => NewLocation("t");

    /// <summary>A location on this server with a fresh schema, e.g. for a job queue.</summary>
    public string NewLocation(string prefix) => Server.NewLocation(prefix);

    public async Task InitializeAsync() => _server = await LocalPostgres.StartAsync(Database);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<S3rverFixture>
{
    public const string Name = "postgres";
}
