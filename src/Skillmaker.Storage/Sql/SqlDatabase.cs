using System.Data.Common;

namespace Skillmaker.Storage;

/// <summary>A feature's part of the schema, one numbered step at a time. Steps are append-only: a
/// released step is never edited, a change is a new step. Each feature owns its module, so features
/// evolve their tables independently.</summary>
public sealed record SchemaModule(string Name, IReadOnlyList<SchemaStep> Steps);

/// <summary>One step's DDL, as the engine runs it (a module renders it with the engine's <see cref="SchemaDialect"/>).</summary>
public sealed record SchemaStep(int Version, string Description, string Sql);

/// <summary>What differs between SQL engines: how to connect, how the DDL is spelled, and how writers
/// exclude each other. Everything else (the schema's modules, the stores' queries) is shared by all engines.</summary>
public abstract class SqlDatabase
{
    /// <summary>Human-readable location (file path or host/database/schema), never a password.</summary>
    public abstract string Location { get; }

    /// <summary>How this engine spells the DDL that differs.</summary>
    public abstract SchemaDialect Dialect { get; }

    /// <summary>Every module of the schema, in this engine's DDL.</summary>
    public IReadOnlyList<SchemaModule> Modules => SqlSchema.Modules(Dialect);

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that will write.</summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Serialises a critical section (named) across processes until the transaction ends.</summary>
    public abstract Task LockAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken);

    /// <summary>Creates what must exist before migrations run (e.g. a PostgreSQL schema).</summary>
    public virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>"column is one of @parameter" for a list parameter. Dapper expands <c>IN @list</c> for
    /// engines without arrays; PostgreSQL takes the list as one array parameter.</summary>
    public virtual string InList(string column, string parameter) => $"{column} IN @{parameter}";

    /// <summary>True when <paramref name="exception"/> says a UNIQUE or PRIMARY KEY constraint refused a row.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Lets pooled connections go (end of a command, end of a test).</summary>
    public virtual void Release() { }
}
