using System.Data;
using System.Data.Common;
using Npgsql;

namespace Skillmaker.Storage.Postgres;

/// <summary>A PostgreSQL database shared by many machines. Each workspace lives in its own schema, so
/// one server can hold several workspaces. Named locks are transaction-scoped advisory locks.</summary>
public sealed class PostgresDatabase : SqlDatabase
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly int _connectAttempts;
    private readonly TimeSpan _firstRetryDelay;
    private readonly TimeProvider _time;

    /// <param name="location">postgres://user[:password]@host[:port]/database[?schema=name], or an Npgsql
    /// connection string. A missing password is taken from PGPASSWORD.</param>
    public PostgresDatabase(string location, int connectAttempts = 5, TimeSpan? firstRetryDelay = null, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        var builder = PostgresLocation.Parse(location, environment);
        _schema = PostgresLocation.Schema(builder, "public");
        builder.SearchPath = _schema;
        Location = PostgresLocation.Describe(builder, _schema);
        _dataSource = NpgsqlDataSource.Create(builder);
        _connectAttempts = Math.Max(1, connectAttempts);
        _firstRetryDelay = firstRetryDelay ?? TimeSpan.FromMilliseconds(500);
        _time = time ?? TimeProvider.System;
    }

    public override string Location { get; }

    public override SchemaDialect Dialect => PostgresSchemaDialect.Instance;

    public override string InList(string column, string parameter) => $"{column} = ANY(@{parameter})";

    public static bool Handles(string location) => PostgresLocation.Handles(location);

    /// <summary>Connects, retrying with backoff while the server is down or starting, then says clearly
    /// where it could not connect.</summary>
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await PostgresLocation.OpenAsync(_dataSource, Location, _connectAttempts, _firstRetryDelay, null, _time, cancellationToken);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    public override async Task LockAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@name, 0))", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("name", $"{_schema}:{name}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {_schema}", (NpgsqlConnection)connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override void Release() => _dataSource.Dispose();
}
