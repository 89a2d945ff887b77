namespace Skillmaker.Storage;

/// <summary>The catalog: images and crops, where they were seen, their fields and labels, near-duplicate
/// links, ingest runs. One definition for every engine (<see cref="SchemaDialect"/> spells the differences).</summary>
internal static class CatalogSchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("catalog",
    [
        new(1, "images, occurrences, fields, labels, near-duplicates, ingest runs", $"""
            CREATE TABLE images (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('original', 'crop')),
                parent_id TEXT NULL REFERENCES images(id),
                byte_size {sql.WholeNumber} NOT NULL,
                format TEXT NOT NULL,
                width {sql.WholeNumber} NOT NULL,
                height {sql.WholeNumber} NOT NULL,
                exif_orientation {sql.WholeNumber} NOT NULL,
                phash {sql.WholeNumber} NOT NULL,
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
                id {sql.Identity},
                image_id TEXT NOT NULL REFERENCES images(id),
                field TEXT NOT NULL,
                value TEXT NOT NULL,
                provenance TEXT NOT NULL,
                actor TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                UNIQUE (image_id, field, value, provenance, actor)
            );

            CREATE TABLE labels (
                id {sql.Identity},
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
                distance {sql.WholeNumber} NOT NULL,
                PRIMARY KEY (image_a, image_b),
                CHECK ({sql.Ordinal("image_a")} < {sql.Ordinal("image_b")})
            );

            CREATE TABLE ingest_runs (
                run_id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                inputs TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NULL,
                status TEXT NOT NULL,
                added {sql.WholeNumber} NOT NULL DEFAULT 0,
                duplicates {sql.WholeNumber} NOT NULL DEFAULT 0,
                near_duplicates {sql.WholeNumber} NOT NULL DEFAULT 0
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
