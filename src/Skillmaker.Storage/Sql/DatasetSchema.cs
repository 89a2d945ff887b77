namespace Skillmaker.Storage;

/// <summary>The append-only split ledger and immutable manifests. One definition for every engine
/// (<see cref="SchemaDialect"/> spells the differences).</summary>
internal static class DatasetSchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("datasets",
    [
        new(1, "split ledger, manifests", $"""
            CREATE TABLE split_ledger (
                seq {sql.Identity},
                atom TEXT NOT NULL,
                split TEXT NOT NULL CHECK (split IN ('train', 'test')),
                reason TEXT NOT NULL,
                manifest_id TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            );
            CREATE INDEX ix_split_ledger_atom ON split_ledger(atom);
            -- Append-only: history is the proof that test stayed test.
            {sql.AppendOnly("split_ledger", "the split ledger is append-only")}

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
            {sql.Refuse("manifests_immutable", "manifests", "UPDATE", "manifests are immutable")}
            {sql.Refuse("manifest_items_immutable", "manifest_items", "UPDATE", "manifests are immutable")}
            """),
    ]);
}
