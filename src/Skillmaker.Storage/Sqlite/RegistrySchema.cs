namespace Skillmaker.Storage.Sqlite;

internal static class RegistrySchema
{
    public static readonly SchemaModule Module = new("registry",
    [
        new(1, "aliases, alias history, version statuses, evaluations", """
            CREATE TABLE aliases (
                skill TEXT NOT NULL,
                alias TEXT NOT NULL,
                version INTEGER NOT NULL,
                moved_at TEXT NOT NULL,
                PRIMARY KEY (skill, alias)
            );
            CREATE TABLE alias_history (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                skill TEXT NOT NULL,
                alias TEXT NOT NULL,
                from_version INTEGER NULL,
                to_version INTEGER NOT NULL,
                who TEXT NOT NULL,
                at TEXT NOT NULL,
                why TEXT NOT NULL
            );
            CREATE TRIGGER alias_history_no_update BEFORE UPDATE ON alias_history BEGIN SELECT RAISE(ABORT, 'alias history is append-only'); END;
            CREATE TRIGGER alias_history_no_delete BEFORE DELETE ON alias_history BEGIN SELECT RAISE(ABORT, 'alias history is append-only'); END;
            CREATE TABLE version_status (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                skill TEXT NOT NULL,
                version INTEGER NOT NULL,
                status TEXT NOT NULL,
                note TEXT NOT NULL,
                who TEXT NOT NULL,
                at TEXT NOT NULL
            );
            CREATE INDEX ix_version_status ON version_status(skill, version);
            CREATE TABLE evaluations (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                skill TEXT NOT NULL,
                version INTEGER NOT NULL,
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
