-- The catalog schema exactly as Skillmaker e884a65 created it on PostgreSQL: every module's steps in the
-- order that commit applied them, verbatim, each followed by the schema_migrations row that recorded it.
-- Generated from that commit's schema modules; never edit (it is what existing catalogs hold).
CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (module, version));

-- catalog v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('catalog', 1, 'images, occurrences, fields, labels, near-duplicates, ingest runs', '2026-12-01T09:00:00.0000000Z');

-- datasets v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('datasets', 1, 'split ledger, manifests', '2026-12-01T09:00:00.0000000Z');

-- crowd v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('crowd', 1, 'crowd tasks, locks, answers, results; review batches and retractions', '2026-12-01T09:00:00.0000000Z');

-- users v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('users', 1, 'users with hashed tokens, server secrets', '2026-12-01T09:00:00.0000000Z');

-- registry v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('registry', 1, 'aliases, alias history, version statuses, evaluations', '2026-12-01T09:00:00.0000000Z');

-- registry v2
DELETE FROM evaluations WHERE seq NOT IN (SELECT MIN(seq) FROM evaluations GROUP BY skill, version, manifest_id, machine, evaluated_at);
CREATE UNIQUE INDEX ux_evaluations_once ON evaluations(skill, version, manifest_id, machine, evaluated_at);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('registry', 2, 'one row per evaluation: a job''s result saved twice is stored once', '2026-12-01T09:00:00.0000000Z');

-- detection v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('detection', 1, 'detect runs, per-image results, detections with their crops', '2026-12-01T09:00:00.0000000Z');

-- api_keys v1
CREATE TABLE api_clients (
    name TEXT PRIMARY KEY,
    key_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT NULL
);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('api_keys', 1, 'inference API clients with hashed keys', '2026-12-01T09:00:00.0000000Z');

-- sources v1
CREATE TABLE crawl_urls (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('page', 'image')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
    depth BIGINT NOT NULL,
    found_on TEXT NULL,
    set_id TEXT NULL,
    label TEXT NULL,
    label_rule TEXT NULL,
    image_id TEXT NULL REFERENCES images(id),
    reason TEXT NULL,
    code TEXT NULL,
    run_id TEXT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (source, kind, url)
);
CREATE INDEX ix_crawl_urls_pending ON crawl_urls(source, kind, status, seq);
CREATE INDEX ix_crawl_urls_found_on ON crawl_urls(source, found_on);

CREATE TABLE crawl_runs (
    run_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    start TEXT NOT NULL,
    options TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NULL,
    status TEXT NOT NULL,
    pages_fetched BIGINT NOT NULL DEFAULT 0,
    images_added BIGINT NOT NULL DEFAULT 0
);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('sources', 1, 'crawl URLs (frontier and outcomes), crawl runs', '2026-12-01T09:00:00.0000000Z');

-- jobs v1
CREATE TABLE job_runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    context TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT NULL
);
CREATE INDEX ix_job_runs_created ON job_runs(created_at);
-- A batch is done once its result is recorded; the first result wins.
CREATE TABLE job_batches (
    run_id TEXT NOT NULL REFERENCES job_runs(run_id),
    batch_index BIGINT NOT NULL,
    items BIGINT NOT NULL,
    job_id TEXT NULL,
    result TEXT NULL,
    completed_at TEXT NULL,
    PRIMARY KEY (run_id, batch_index)
);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('jobs', 1, 'distributed runs and their batches', '2026-12-01T09:00:00.0000000Z');

-- skills v1
CREATE TABLE skill_versions (
    skill TEXT NOT NULL,
    version BIGINT NOT NULL,
    owner TEXT NOT NULL UNIQUE,
    reserved_at TEXT NOT NULL,
    published_at TEXT NULL,
    files TEXT NULL,
    PRIMARY KEY (skill, version)
);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('skills', 1, 'skill versions and their package files in the blob store', '2026-12-01T09:00:00.0000000Z');
