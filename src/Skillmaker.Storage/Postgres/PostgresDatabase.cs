using System.Data;
using System.Data.Common;
using Npgsql;
using Skillmaker.Common;

namespace Skillmaker.Storage.Postgres;

/// <summary>A PostgreSQL database shared by many machines. Each workspace lives in its own schema, so
/// one server can hold several workspaces. Named locks are transaction-scoped advisory locks.</summary>
public sealed class PostgresDatabase : SqlDatabase
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly int _connectAttempts;
    private readonly TimeSpan _firstRetryDelay;

    /// <param name="location">postgres://user[:password]@host[:port]/database[?schema=name], or an Npgsql
    /// connection string. A missing password is taken from PGPASSWORD.</param>
    public PostgresDatabase(string location, int connectAttempts = 5, TimeSpan? firstRetryDelay = null)
    {
        var builder = Parse(location);
        _schema = builder.SearchPath is { Length: > 0 } s ? s : "public";
        if (!System.Text.RegularExpressions.Regex.IsMatch(_schema, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new SkillmakerException($"PostgreSQL schema '{_schema}' is not a plain lower-case identifier (letters, digits, '_').");
        builder.SearchPath = _schema;
        builder.Password ??= Environment.GetEnvironmentVariable("PGPASSWORD");
        Location = $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}?schema={_schema}";
        _dataSource = NpgsqlDataSource.Create(builder);
        _connectAttempts = Math.Max(1, connectAttempts);
        _firstRetryDelay = firstRetryDelay ?? TimeSpan.FromMilliseconds(500);
    }

    public override string Location { get; }

    public override IReadOnlyList<SchemaModule> Modules => PostgresSchema.Modules;

    public override string InList(string column, string parameter) => $"{column} = ANY(@{parameter})";

    public static bool Handles(string location) =>
        location.StartsWith("postgres://", StringComparison.Ordinal) || location.StartsWith("postgresql://", StringComparison.Ordinal)
        || location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Connects, retrying with backoff while the server is down or starting, then says clearly
    /// where it could not connect.</summary>
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var delay = _firstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex) when (ex.IsTransient || ex.InnerException is System.Net.Sockets.SocketException)
            {
                if (attempt >= _connectAttempts)
                    throw new SkillmakerException($"Cannot connect to PostgreSQL at {Location} after {attempt} attempts: {ex.InnerException?.Message ?? ex.Message}. Is the server running and reachable?", ex);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000")
            {
                throw new SkillmakerException($"PostgreSQL at {Location} rejected the login ({ex.MessageText}); check the user and PGPASSWORD.", ex);
            }
            catch (PostgresException ex) when (ex.SqlState == "3D000")
            {
                throw new SkillmakerException($"PostgreSQL at {Location}: {ex.MessageText}. Create the database first (createdb).", ex);
            }
        }
    }

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

    public override async Task LockAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@name, 0))", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("name", $"{_schema}:{name}");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {_schema}", (NpgsqlConnection)connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override void Release() => _dataSource.Dispose();

    private static NpgsqlConnectionStringBuilder Parse(string location)
    {
        if (location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase)) return new NpgsqlConnectionStringBuilder(location);
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.AbsolutePath.Trim('/').Length == 0)
            throw new SkillmakerException($"'{RedactPassword(location)}' is not a PostgreSQL location; expected postgres://user@host[:port]/database[?schema=name].");
        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[0]);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')),
            Username = user.Length > 0 ? user : Environment.GetEnvironmentVariable("PGUSER") ?? "postgres",
            Timeout = 10,
            CommandTimeout = 120,
        };
        if (uri.UserInfo.Contains(':', StringComparison.Ordinal)) builder.Password = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0] == "schema" && kv.Length == 2) builder.SearchPath = Uri.UnescapeDataString(kv[1]);
        }
        return builder;
    }

    private static string RedactPassword(string location) =>
        System.Text.RegularExpressions.Regex.Replace(location, @"(://[^:/@]+:)[^@]+@", "$1***@");
}
