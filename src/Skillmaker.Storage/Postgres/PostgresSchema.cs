namespace Skillmaker.Storage.Postgres;

/// <summary>The same modules as <see cref="Sqlite.SqliteSchema"/>, in PostgreSQL's dialect: BIGINT
/// integers, identity columns, and append-only tables guarded by a trigger function.</summary>
public static class PostgresSchema
{
    public static readonly IReadOnlyList<SchemaModule> Modules =
    [
        new("catalog",
        [
            new(1, "images, occurrences, fields, labels, near-duplicates, ingest runs", """
                CREATE OR REPLACE FUNCTION skillmaker_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$;

                CREATE TABLE images (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('original', 'crop')),
                    parent_id TEXT NULL REFERENCES images(id),
                    byte_size BIGINT NOT NULL,
                    format TEXT NOT NULL,
                    width BIGINT NOT NULL,
                    height BIGINT NOT NULL,
                    exif_orientation BIGINT NOT NULL,
                    phash BIGINT NOT NULL,
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
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    image_id TEXT NOT NULL REFERENCES images(id),
                    field TEXT NOT NULL,
                    value TEXT NOT NULL,
                    provenance TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    UNIQUE (image_id, field, value, provenance, actor)
                );

                CREATE TABLE labels (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    image_id TEXT NOT NULL REFERENCES images(id),
                    label TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('hint', 'confirmed', 'rejected')),
                    provenance TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE INDEX ix_labels_image ON labels(image_id);
                CREATE UNIQUE INDEX ux_labels_hint ON labels(image_id, label, provenance, actor) WHERE status = 'hint';

                CREATE TABLE near_duplicates (
                    image_a TEXT NOT NULL REFERENCES images(id),
                    image_b TEXT NOT NULL REFERENCES images(id),
                    distance BIGINT NOT NULL,
                    PRIMARY KEY (image_a, image_b),
                    CHECK (image_a COLLATE "C" < image_b COLLATE "C")
                );

                CREATE TABLE ingest_runs (
                    run_id TEXT PRIMARY KEY,
                    source TEXT NOT NULL,
                    inputs TEXT NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT NULL,
                    status TEXT NOT NULL,
                    added BIGINT NOT NULL DEFAULT 0,
                    duplicates BIGINT NOT NULL DEFAULT 0,
                    near_duplicates BIGINT NOT NULL DEFAULT 0
                );

                CREATE TABLE ingest_rejections (
                    run_id TEXT NOT NULL REFERENCES ingest_runs(run_id),
                    path TEXT NOT NULL,
                    code TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX ix_rejections_run ON ingest_rejections(run_id);
                """),
        ]),
        new("datasets",
        [
            new(1, "split ledger, manifests", """
                CREATE TABLE split_ledger (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    atom TEXT NOT NULL,
                    split TEXT NOT NULL CHECK (split IN ('train', 'test')),
                    reason TEXT NOT NULL,
                    manifest_id TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE INDEX ix_split_ledger_atom ON split_ledger(atom);
                CREATE TRIGGER split_ledger_append_only BEFORE UPDATE OR DELETE ON split_ledger FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();

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
                CREATE TRIGGER manifests_immutable BEFORE UPDATE ON manifests FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();
                CREATE TRIGGER manifest_items_immutable BEFORE UPDATE ON manifest_items FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();
                """),
        ]),
        new("crowd",
        [
            new(1, "crowd tasks, locks, answers, results; review batches and retractions", """
                CREATE TABLE crowd_tasks (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    image_id TEXT NOT NULL REFERENCES images(id),
                    round BIGINT NOT NULL,
                    overlap BIGINT NOT NULL CHECK (overlap BETWEEN 1 AND 20),
                    gold_content TEXT NULL,
                    gold_quality TEXT NULL,
                    status TEXT NOT NULL CHECK (status IN ('open', 'consolidated')),
                    answer_count BIGINT NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    UNIQUE (image_id, round)
                );
                CREATE INDEX ix_crowd_tasks_next ON crowd_tasks(status, answer_count DESC, round DESC, id);

                CREATE TABLE crowd_locks (
                    task_id BIGINT NOT NULL REFERENCES crowd_tasks(id),
                    worker TEXT NOT NULL,
                    locked_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    PRIMARY KEY (task_id, worker)
                );

                CREATE TABLE crowd_answers (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    task_id BIGINT NOT NULL REFERENCES crowd_tasks(id),
                    worker TEXT NOT NULL,
                    content TEXT NOT NULL,
                    quality TEXT NOT NULL,
                    seconds DOUBLE PRECISION NULL,
                    channel TEXT NOT NULL,
                    external_id TEXT NULL UNIQUE,
                    answered_at TEXT NOT NULL,
                    UNIQUE (task_id, worker)
                );
                CREATE INDEX ix_crowd_answers_worker ON crowd_answers(worker);
                CREATE INDEX ix_crowd_locks_worker ON crowd_locks(worker, expires_at);

                CREATE TABLE crowd_results (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    image_id TEXT NOT NULL REFERENCES images(id),
                    task_id BIGINT NOT NULL REFERENCES crowd_tasks(id),
                    method TEXT NOT NULL,
                    content TEXT NOT NULL,
                    content_confidence DOUBLE PRECISION NOT NULL,
                    quality TEXT NOT NULL,
                    quality_confidence DOUBLE PRECISION NOT NULL,
                    answers BIGINT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('resolved', 'requeued', 'escalated')),
                    consolidated_at TEXT NOT NULL
                );
                CREATE INDEX ix_crowd_results_image ON crowd_results(image_id);

                CREATE TABLE review_batches (
                    batch_id TEXT PRIMARY KEY,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE TABLE review_batch_labels (
                    batch_id TEXT NOT NULL REFERENCES review_batches(batch_id),
                    label_id BIGINT NOT NULL REFERENCES labels(id),
                    PRIMARY KEY (batch_id, label_id)
                );
                CREATE TABLE label_retractions (
                    label_id BIGINT PRIMARY KEY REFERENCES labels(id),
                    batch_id TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE TRIGGER crowd_answers_no_update BEFORE UPDATE ON crowd_answers FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();
                CREATE TRIGGER label_retractions_no_delete BEFORE DELETE ON label_retractions FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();
                """),
        ]),
        new("users",
        [
            new(1, "users with hashed tokens, server secrets", """
                CREATE TABLE users (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('crowd', 'expert', 'admin')),
                    token_sha256 TEXT NOT NULL UNIQUE,
                    token_expires_at TEXT NULL,
                    revoked_at TEXT NULL,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE server_secrets (
                    name TEXT PRIMARY KEY,
                    value BYTEA NOT NULL
                );
                """),
        ]),
        new("registry",
        [
            new(1, "aliases, alias history, version statuses, evaluations", """
                CREATE TABLE aliases (
                    skill TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    moved_at TEXT NOT NULL,
                    PRIMARY KEY (skill, alias)
                );
                CREATE TABLE alias_history (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    skill TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    from_version BIGINT NULL,
                    to_version BIGINT NOT NULL,
                    who TEXT NOT NULL,
                    at TEXT NOT NULL,
                    why TEXT NOT NULL
                );
                CREATE TRIGGER alias_history_append_only BEFORE UPDATE OR DELETE ON alias_history FOR EACH ROW EXECUTE FUNCTION skillmaker_refuse_change();
                CREATE TABLE version_status (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    skill TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    note TEXT NOT NULL,
                    who TEXT NOT NULL,
                    at TEXT NOT NULL
                );
                CREATE INDEX ix_version_status ON version_status(skill, version);
                CREATE TABLE evaluations (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    skill TEXT NOT NULL,
                    version BIGINT NOT NULL,
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
        ]),
        DetectionSchema.Module,
        ApiKeySchema.Module,
        SourcesSchema.Module,
        JobsSchema.Module,
        SkillIndexSchema.Module,
    ];
}
