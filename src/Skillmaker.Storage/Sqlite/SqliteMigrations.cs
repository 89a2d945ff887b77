namespace Skillmaker.Storage.Sqlite;

/// <summary>All SQLite modules, in the order they are applied (a module may reference tables of earlier
/// ones). PostgreSQL has the same modules in its own dialect (Postgres/PostgresSchema.cs).</summary>
public static class SqliteSchema
{
    public static readonly IReadOnlyList<SchemaModule> Modules =
    [
        CatalogSchema.Module,
        DatasetSchema.Module,
        CrowdSchema.Module,
        UsersSchema.Module,
        RegistrySchema.Module,
        DetectionSchema.Module,
        ApiKeySchema.Module,
        SourcesSchema.Module,
        JobsSchema.Module,
        SkillIndexSchema.Module,
    ];
}

internal static class CatalogSchema
{
    public static readonly SchemaModule Module = new("catalog",
    [
        new(1, "images, occurrences, fields, labels, near-duplicates, ingest runs", """
            CREATE TABLE images (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('original', 'crop')),
                parent_id TEXT NULL REFERENCES images(id),
                byte_size INTEGER NOT NULL,
                format TEXT NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                exif_orientation INTEGER NOT NULL,
                phash INTEGER NOT NULL,
                ingested_at TEXT NOT NULL,
                near_dup_cluster TEXT NULL
            );
            CREATE INDEX ix_images_kind ON images(kind);
            CREATE INDEX ix_images_parent ON images(parent_id);
            CREATE INDEX ix_images_cluster ON images(near_dup_cluster);

            CREATE TABLE image_occurrences (
                image_id TEXT NOT NULL REFERENCES images(id),
                source TEXT NOT NULL,
                original_path TEXT NOT NULL,
                original_file_name TEXT NOT NULL,
                run_id TEXT NOT NULL,
                seen_at TEXT NOT NULL,
                PRIMARY KEY (image_id, source, original_path)
            );
            CREATE INDEX ix_occurrences_source ON image_occurrences(source);

            CREATE TABLE image_fields (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                image_id TEXT NOT NULL REFERENCES images(id),
                field TEXT NOT NULL,
                value TEXT NOT NULL,
                provenance TEXT NOT NULL,
                actor TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                UNIQUE (image_id, field, value, provenance, actor)
            );

            CREATE TABLE labels (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                image_id TEXT NOT NULL REFERENCES images(id),
                label TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('hint', 'confirmed', 'rejected')),
                provenance TEXT NOT NULL,
                actor TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            );
            CREATE INDEX ix_labels_image ON labels(image_id);
            -- A source repeating a hint adds nothing; people's decisions keep their full history.
            CREATE UNIQUE INDEX ux_labels_hint ON labels(image_id, label, provenance, actor) WHERE status = 'hint';

            CREATE TABLE near_duplicates (
                image_a TEXT NOT NULL REFERENCES images(id),
                image_b TEXT NOT NULL REFERENCES images(id),
                distance INTEGER NOT NULL,
                PRIMARY KEY (image_a, image_b),
                CHECK (image_a < image_b)
            );

            CREATE TABLE ingest_runs (
                run_id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                inputs TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NULL,
                status TEXT NOT NULL,
                added INTEGER NOT NULL DEFAULT 0,
                duplicates INTEGER NOT NULL DEFAULT 0,
                near_duplicates INTEGER NOT NULL DEFAULT 0
            );

            CREATE TABLE ingest_rejections (
                run_id TEXT NOT NULL REFERENCES ingest_runs(run_id),
                path TEXT NOT NULL,
                code TEXT NOT NULL,
                reason TEXT NOT NULL
            );
            CREATE INDEX ix_rejections_run ON ingest_rejections(run_id);
            """),
    ]);
}
