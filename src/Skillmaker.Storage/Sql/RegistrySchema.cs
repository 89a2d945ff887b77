namespace Skillmaker.Storage;

/// <summary>Aliases with their append-only history, version statuses, evaluations. One definition for
/// every engine (<see cref="SchemaDialect"/> spells the differences).</summary>
internal static class RegistrySchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("registry",
    [
        new(1, "aliases, alias history, version statuses, evaluations", $"""
            CREATE TABLE aliases (
                skill TEXT NOT NULL,
                alias TEXT NOT NULL,
                version {sql.WholeNumber} NOT NULL,
                moved_at TEXT NOT NULL,
                PRIMARY KEY (skill, alias)
            );
            CREATE TABLE alias_history (
                seq {sql.Identity},
                skill TEXT NOT NULL,
                alias TEXT NOT NULL,
                from_version {sql.WholeNumber} NULL,
                to_version {sql.WholeNumber} NOT NULL,
                who TEXT NOT NULL,
                at TEXT NOT NULL,
                why TEXT NOT NULL
            );
            {sql.AppendOnly("alias_history", "alias history is append-only")}
            CREATE TABLE version_status (
                seq {sql.Identity},
                skill TEXT NOT NULL,
                version {sql.WholeNumber} NOT NULL,
                status TEXT NOT NULL,
                note TEXT NOT NULL,
                who TEXT NOT NULL,
                at TEXT NOT NULL
            );
            CREATE INDEX ix_version_status ON version_status(skill, version);
            CREATE TABLE evaluations (
                seq {sql.Identity},
                skill TEXT NOT NULL,
                version {sql.WholeNumber} NOT NULL,
                manifest_id TEXT NOT NULL,
                machine TEXT NOT NULL,
                evaluated_at TEXT NOT NULL,
                body TEXT NOT NULL
            );
            CREATE INDEX ix_evaluations ON evaluations(skill, version, manifest_id);
            """),
        new(2, "one row per evaluation: a job's result saved twice is stored once", """
            DELETE FROM evaluations WHERE seq NOT IN (SELECT MIN(seq) FROM evaluations GROUP BY skill, version, manifest_id, machine, evaluated_at);
            CREATE UNIQUE INDEX ux_evaluations_once ON evaluations(skill, version, manifest_id, machine, evaluated_at);
            """),
    ]);
}
