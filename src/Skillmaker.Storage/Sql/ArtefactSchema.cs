namespace Skillmaker.Storage;

/// <summary>The artefact index (<see cref="SqlArtefactIndex"/>): files published to the blob store by role.
/// The DDL is the same on SQLite and PostgreSQL.</summary>
internal static class ArtefactSchema
{
    public static readonly SchemaModule Module = new("artefacts",
    [
        new(1, "artefacts published to the blob store, by kind and name", """
            CREATE TABLE artefacts (
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                original_name TEXT NOT NULL,
                published_at TEXT NOT NULL,
                PRIMARY KEY (kind, name, sha256)
            );
            CREATE INDEX ix_artefacts_latest ON artefacts(kind, name, published_at);
            """),
    ]);
}
