-- The catalog schema exactly as Skillmaker e884a65 created it on SQLite: every module's steps in the
-- order that commit applied them, verbatim, each followed by the schema_migrations row that recorded it.
-- Generated from that commit's schema modules; never edit (it is what existing catalogs hold).
CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (module, version));

-- catalog v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('catalog', 1, 'images, occurrences, fields, labels, near-duplicates, ingest runs', '2026-12-01T09:00:00.0000000Z');

-- datasets v1
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
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('datasets', 1, 'split ledger, manifests', '2026-12-01T09:00:00.0000000Z');

-- crowd v1
CREATE TABLE crowd_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id TEXT NOT NULL REFERENCES images(id),
    round INTEGER NOT NULL,
    overlap INTEGER NOT NULL CHECK (overlap BETWEEN 1 AND 20),
    gold_content TEXT NULL,
    gold_quality TEXT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'consolidated')),
    -- Kept by the store with every answer, so the next task is an index walk, not a count.
    answer_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (image_id, round)
);
CREATE INDEX ix_crowd_tasks_next ON crowd_tasks(status, answer_count DESC, round DESC, id);

CREATE TABLE crowd_locks (
    task_id INTEGER NOT NULL REFERENCES crowd_tasks(id),
    worker TEXT NOT NULL,
    locked_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (task_id, worker)
);

CREATE TABLE crowd_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES crowd_tasks(id),
    worker TEXT NOT NULL,
    content TEXT NOT NULL,
    quality TEXT NOT NULL,
    seconds REAL NULL,
    channel TEXT NOT NULL,
    external_id TEXT NULL UNIQUE,
    answered_at TEXT NOT NULL,
    -- One answer per worker per task: a double submit is refused, never counted twice.
    UNIQUE (task_id, worker)
);
CREATE INDEX ix_crowd_answers_worker ON crowd_answers(worker);
CREATE INDEX ix_crowd_locks_worker ON crowd_locks(worker, expires_at);

CREATE TABLE crowd_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id TEXT NOT NULL REFERENCES images(id),
    task_id INTEGER NOT NULL REFERENCES crowd_tasks(id),
    method TEXT NOT NULL,
    content TEXT NOT NULL,
    content_confidence REAL NOT NULL,
    quality TEXT NOT NULL,
    quality_confidence REAL NOT NULL,
    answers INTEGER NOT NULL,
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
    label_id INTEGER NOT NULL REFERENCES labels(id),
    PRIMARY KEY (batch_id, label_id)
);
-- Undo never deletes a decision: it records that the decision no longer counts.
CREATE TABLE label_retractions (
    label_id INTEGER PRIMARY KEY REFERENCES labels(id),
    batch_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TRIGGER crowd_answers_no_update BEFORE UPDATE ON crowd_answers BEGIN SELECT RAISE(ABORT, 'crowd answers are append-only'); END;
CREATE TRIGGER label_retractions_no_delete BEFORE DELETE ON label_retractions BEGIN SELECT RAISE(ABORT, 'retractions are append-only'); END;
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('crowd', 1, 'crowd tasks, locks, answers, results; review batches and retractions', '2026-12-01T09:00:00.0000000Z');

-- users v1
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('crowd', 'expert', 'admin')),
    token_sha256 TEXT NOT NULL UNIQUE,
    token_expires_at TEXT NULL,
    revoked_at TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('users', 1, 'users with hashed tokens, server secrets', '2026-12-01T09:00:00.0000000Z');

-- registry v1
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
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
