namespace Skillmaker.Storage.Postgres;

/// <summary>PostgreSQL's spelling of the schema: BIGINT, identity columns, DOUBLE PRECISION and BYTEA, and
/// refused changes through one trigger function shared by every table.</summary>
public sealed class PostgresSchemaDialect : SchemaDialect
{
    public static readonly PostgresSchemaDialect Instance = new();

    // Created with every trigger (CREATE OR REPLACE), so a module never depends on another having made it.
    // The function names the table and the operation; a trigger's own message is not needed.
    private const string RefuseChangeFunction = """
        CREATE OR REPLACE FUNCTION skillmaker_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$;
        """;

    private PostgresSchemaDialect() { }

    public override string Identity => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    public override string WholeNumber => "BIGINT";

    public override string Real => "DOUBLE PRECISION";

    public override string Bytes => "BYTEA";

    // Text compares by the database's collation unless told otherwise; "C" compares code points.
    public override string Ordinal(string column) => $"{column} COLLATE \"C\"";

    public override string Refuse(string trigger, string table, string operation, string message) =>
        $"{RefuseChangeFunction}\nCREATE TRIGGER {trigger} BEFORE {operation} ON {table} FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();";

    // A PostgreSQL trigger can fire on both operations.
    public override string AppendOnly(string table, string message) => Refuse($"{table}_append_only", table, "UPDATE OR DELETE", message);
}
