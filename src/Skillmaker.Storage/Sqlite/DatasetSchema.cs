namespace Skillmaker.Storage.Sqlite;

internal static class DatasetSchema
{
    public static readonly SchemaModule Module = new("datasets",
    [
        new(1, "split ledger, manifests", """
            CREATE TABLE split_ledger (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                atom TEXT NOT NULL,
                split TEXT NOT NULL CHECK (split IN ('train', 'test')),
                reason TEXT NOT NULL,
                manifest_id TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            );
            CREATE INDEX ix_split_ledger_atom ON split_ledger(atom);
            -- Append-only: history is the proof that test stayed test.
            CREATE TRIGGER split_ledger_no_update BEFORE UPDATE ON split_ledger BEGIN SELECT RAISE(ABORT, 'the split ledger is append-only'); END;
            CREATE TRIGGER split_ledger_no_delete BEFORE DELETE ON split_ledger BEGIN SELECT RAISE(ABORT, 'the split ledger is append-only'); END;

            CREATE TABLE manifests (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL,
                body TEXT NOT NULL
            );
            CREATE TABLE manifest_items (
                manifest_id TEXT NOT NULL REFERENCES manifests(id),
                image_id TEXT NOT NULL REFERENCES images(id),
                class TEXT NOT NULL,
                split TEXT NOT NULL CHECK (split IN ('train', 'test')),
                grp TEXT NOT NULL,
                PRIMARY KEY (manifest_id, image_id)
            );
            CREATE INDEX ix_manifest_items_image ON manifest_items(image_id, split);
            CREATE TRIGGER manifests_immutable BEFORE UPDATE ON manifests BEGIN SELECT RAISE(ABORT, 'manifests are immutable'); END;
            CREATE TRIGGER manifest_items_immutable BEFORE UPDATE ON manifest_items BEGIN SELECT RAISE(ABORT, 'manifests are immutable'); END;
            """),
    ]);
}
