namespace Skillmaker.Storage;

/// <summary>The detection feature's tables: one result per image and model, every detection, runs.
/// One DDL for SQLite and PostgreSQL: BIGINT and DOUBLE PRECISION have SQLite's INTEGER and REAL
/// affinities.</summary>
internal static class DetectionSchema
{
    public static readonly SchemaModule Module = new("detection",
    [
        new(1, "detect runs, per-image results, detections with their crops", """
            CREATE TABLE detect_runs (
                run_id TEXT PRIMARY KEY,
                model_sha256 TEXT NOT NULL,
                model_path TEXT NOT NULL,
                settings TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NULL,
                status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted')),
                processed BIGINT NOT NULL DEFAULT 0,
                vehicles BIGINT NOT NULL DEFAULT 0,
                failed BIGINT NOT NULL DEFAULT 0
            );

            -- One row per image a model has looked at: what makes detect incremental per model sha256.
            CREATE TABLE detection_results (
                image_id TEXT NOT NULL REFERENCES images(id),
                model_sha256 TEXT NOT NULL,
                run_id TEXT NOT NULL REFERENCES detect_runs(run_id),
                outcome TEXT NOT NULL CHECK (outcome IN ('none', 'one', 'several', 'failed')),
                vehicle_count BIGINT NOT NULL,
                error TEXT NULL,
                processed_at TEXT NOT NULL,
                PRIMARY KEY (image_id, model_sha256)
            );
            CREATE INDEX ix_detection_results_model ON detection_results(model_sha256, outcome);

            CREATE TABLE detections (
                image_id TEXT NOT NULL,
                model_sha256 TEXT NOT NULL,
                rank BIGINT NOT NULL,
                class_id BIGINT NOT NULL,
                class_name TEXT NOT NULL,
                score DOUBLE PRECISION NOT NULL,
                x1 DOUBLE PRECISION NOT NULL, y1 DOUBLE PRECISION NOT NULL, x2 DOUBLE PRECISION NOT NULL, y2 DOUBLE PRECISION NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('vehicle', 'other_class', 'same_vehicle', 'too_small')),
                crop_x BIGINT NULL, crop_y BIGINT NULL, crop_width BIGINT NULL, crop_height BIGINT NULL,
                crop_id TEXT NULL REFERENCES images(id),
                PRIMARY KEY (image_id, model_sha256, rank),
                FOREIGN KEY (image_id, model_sha256) REFERENCES detection_results(image_id, model_sha256)
            );
            CREATE INDEX ix_detections_crop ON detections(crop_id);
            """),
        // A photo-level label belongs to the photo's subject only: which crop that is, and why. Rows are
        // replaced when attribution runs again with other settings (images attribute); crops without a
        // row are attributed by the next run or extract.
        new(2, "label attribution of crops (subject of the photo or background)", """
            CREATE TABLE crop_attributions (
                crop_id TEXT PRIMARY KEY REFERENCES images(id),
                parent_id TEXT NOT NULL REFERENCES images(id),
                model_sha256 TEXT NOT NULL,
                subject BIGINT NOT NULL CHECK (subject IN (0, 1)),
                rule TEXT NOT NULL,
                reason TEXT NOT NULL,
                settings TEXT NOT NULL,
                decided_at TEXT NOT NULL
            );
            CREATE INDEX ix_crop_attributions_parent ON crop_attributions(parent_id);
            """),
    ]);
}
