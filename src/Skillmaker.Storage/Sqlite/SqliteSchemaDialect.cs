namespace Skillmaker.Storage.Sqlite;

/// <summary>SQLite's spelling of the schema: INTEGER, REAL and BLOB types, and one trigger per refused operation.</summary>
public sealed class SqliteSchemaDialect : SchemaDialect
{
    public static readonly SqliteSchemaDialect Instance = new();

    private SqliteSchemaDialect() { }

    // AUTOINCREMENT: an id is never reused, even after the newest row is gone.
    public override string Identity => "INTEGER PRIMARY KEY AUTOINCREMENT";

    // INTEGER, not BIGINT: an INTEGER PRIMARY KEY is the rowid itself (label_retractions.label_id).
    public override string WholeNumber => "INTEGER";

    public override string Real => "REAL";

    public override string Bytes => "BLOB";

    // BINARY, the default collation, already compares code points.
    public override string Ordinal(string column) => column;

    public override string Refuse(string trigger, string table, string operation, string message) =>
        $"CREATE TRIGGER {trigger} BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;";

    // A SQLite trigger fires on one operation, so append-only takes two.
    public override string AppendOnly(string table, string message) =>
        $"{Refuse($"{table}_no_update", table, "UPDATE", message)}\n{Refuse($"{table}_no_delete", table, "DELETE", message)}";
}
