-- Rows in every table of every module, as Skillmaker's stores write them, for catalogs built from the
-- catalog-e884a65.*.sql scripts. Portable SQL for both engines. Auto-numbered ids are left to the engine
-- and come out 1, 2, … in this order, which the rows below refer to. server_secrets holds bytes, which
-- the engines write differently; the test adds that row with a parameter.

-- catalog
INSERT INTO images (id, kind, parent_id, byte_size, format, width, height, exif_orientation, phash, ingested_at, near_dup_cluster) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', 'original', NULL, 284113, 'jpeg', 1600, 1200, 1, -6917529027641081856, '2026-11-20T08:00:00.0000000Z', '1111111111111111111111111111111111111111111111111111111111111111'),
    ('2222222222222222222222222222222222222222222222222222222222222222', 'original', NULL, 301442, 'jpeg', 1600, 1200, 6, -6917529027641081853, '2026-11-20T08:00:01.0000000Z', '1111111111111111111111111111111111111111111111111111111111111111'),
    ('3333333333333333333333333333333333333333333333333333333333333333', 'crop', '1111111111111111111111111111111111111111111111111111111111111111', 41870, 'png', 512, 384, 1, 4611686018427387904, '2026-11-20T08:05:00.0000000Z', NULL);
INSERT INTO image_occurrences (image_id, source, original_path, original_file_name, run_id, seen_at) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', 'folder', '/photos/a.jpg', 'a.jpg', 'ingest-1', '2026-11-20T08:00:00.0000000Z'),
    ('1111111111111111111111111111111111111111111111111111111111111111', 'web', 'https://example.org/img/a.jpg', 'a.jpg', 'ingest-2', '2026-11-21T08:00:00.0000000Z'),
    ('2222222222222222222222222222222222222222222222222222222222222222', 'folder', '/photos/b.jpg', 'b.jpg', 'ingest-1', '2026-11-20T08:00:01.0000000Z');
INSERT INTO image_fields (image_id, field, value, provenance, actor, recorded_at) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', 'camera', 'Canon EOS 5D', 'exif', 'ingest', '2026-11-20T08:00:00.0000000Z'),
    ('2222222222222222222222222222222222222222222222222222222222222222', 'caption', 'a red car, side view', 'source', 'folder', '2026-11-20T08:00:01.0000000Z');
INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at) VALUES
    ('3333333333333333333333333333333333333333333333333333333333333333', 'sedan', 'hint', 'source', 'folder', '2026-11-20T08:05:00.0000000Z'),
    ('3333333333333333333333333333333333333333333333333333333333333333', 'sedan', 'confirmed', 'expert', 'ana', '2026-11-22T10:00:00.0000000Z'),
    ('3333333333333333333333333333333333333333333333333333333333333333', 'coupe', 'rejected', 'expert', 'ana', '2026-11-22T10:00:01.0000000Z');
INSERT INTO near_duplicates (image_a, image_b, distance) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', '2222222222222222222222222222222222222222222222222222222222222222', 3);
INSERT INTO ingest_runs (run_id, source, inputs, started_at, finished_at, status, added, duplicates, near_duplicates) VALUES
    ('ingest-1', 'folder', '["/photos"]', '2026-11-20T07:59:59.0000000Z', '2026-11-20T08:00:02.0000000Z', 'completed', 2, 0, 1),
    ('ingest-2', 'web', '["https://example.org/"]', '2026-11-21T07:59:59.0000000Z', NULL, 'running', 0, 0, 0);
INSERT INTO ingest_rejections (run_id, path, code, reason) VALUES
    ('ingest-1', '/photos/notes.txt', 'NotAnImage', 'not a JPEG, PNG or WebP file');

-- datasets
INSERT INTO manifests (id, name, created_at, body) VALUES
    ('m-1', 'makes', '2026-11-23T09:00:00.0000000Z', '{"id":"m-1","name":"makes","items":[]}');
INSERT INTO manifest_items (manifest_id, image_id, class, split, grp) VALUES
    ('m-1', '3333333333333333333333333333333333333333333333333333333333333333', 'sedan', 'test', '1111111111111111111111111111111111111111111111111111111111111111');
INSERT INTO split_ledger (atom, split, reason, manifest_id, recorded_at) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', 'test', 'hash bucket', 'm-1', '2026-11-23T09:00:00.0000000Z'),
    ('4444444444444444444444444444444444444444444444444444444444444444', 'train', 'hash bucket', 'm-1', '2026-11-23T09:00:00.0000000Z');

-- crowd (crowd_tasks id 1; labels ids 2 and 3 are the expert's decisions above)
INSERT INTO crowd_tasks (image_id, round, overlap, gold_content, gold_quality, status, answer_count, created_at) VALUES
    ('3333333333333333333333333333333333333333333333333333333333333333', 1, 3, 'vehicle', 'good', 'consolidated', 2, '2026-11-21T12:00:00.0000000Z');
INSERT INTO crowd_locks (task_id, worker, locked_at, expires_at) VALUES
    (1, 'carol', '2026-11-21T12:10:00.0000000Z', '2026-11-21T12:20:00.0000000Z');
INSERT INTO crowd_answers (task_id, worker, content, quality, seconds, channel, external_id, answered_at) VALUES
    (1, 'bob', 'vehicle', 'good', 4.25, 'web', NULL, '2026-11-21T12:01:00.0000000Z'),
    (1, 'dave', 'vehicle', 'blurry', NULL, 'toloka', 'ext-981', '2026-11-21T12:02:00.0000000Z');
INSERT INTO crowd_results (image_id, task_id, method, content, content_confidence, quality, quality_confidence, answers, outcome, consolidated_at) VALUES
    ('3333333333333333333333333333333333333333333333333333333333333333', 1, 'dawid-skene', 'vehicle', 0.9375, 'good', 0.625, 2, 'resolved', '2026-11-21T13:00:00.0000000Z');
INSERT INTO review_batches (batch_id, actor, action, recorded_at) VALUES
    ('batch-1', 'ana', 'confirm', '2026-11-22T10:00:00.0000000Z');
INSERT INTO review_batch_labels (batch_id, label_id) VALUES
    ('batch-1', 2),
    ('batch-1', 3);
INSERT INTO label_retractions (label_id, batch_id, actor, recorded_at) VALUES
    (3, 'batch-1', 'ana', '2026-11-22T10:05:00.0000000Z');

-- users
INSERT INTO users (name, role, token_sha256, token_expires_at, revoked_at, created_at) VALUES
    ('ana', 'expert', '5555555555555555555555555555555555555555555555555555555555555555', NULL, NULL, '2026-11-19T08:00:00.0000000Z'),
    ('bob', 'crowd', '6666666666666666666666666666666666666666666666666666666666666666', '2026-12-19T08:00:00.0000000Z', '2026-11-30T08:00:00.0000000Z', '2026-11-19T08:01:00.0000000Z');

-- registry
INSERT INTO aliases (skill, alias, version, moved_at) VALUES
    ('makes', 'production', 2, '2026-11-25T09:00:00.0000000Z');
INSERT INTO alias_history (skill, alias, from_version, to_version, who, at, why) VALUES
    ('makes', 'production', NULL, 1, 'ana', '2026-11-24T09:00:00.0000000Z', 'first release'),
    ('makes', 'production', 1, 2, 'ana', '2026-11-25T09:00:00.0000000Z', 'better top-1 on m-1');
INSERT INTO version_status (skill, version, status, note, who, at) VALUES
    ('makes', 1, 'retired', 'replaced by v2', 'ana', '2026-11-25T09:00:00.0000000Z');
INSERT INTO evaluations (skill, version, manifest_id, machine, evaluated_at, body) VALUES
    ('makes', 2, 'm-1', 'train-box', '2026-11-24T18:00:00.0000000Z', '{"top1":0.91}');

-- detection
INSERT INTO detect_runs (run_id, model_sha256, model_path, settings, started_at, finished_at, status, processed, vehicles, failed) VALUES
    ('detect-1', '7777777777777777777777777777777777777777777777777777777777777777', 'models/yolo.onnx', '{"minScore":0.4}', '2026-11-20T08:04:00.0000000Z', '2026-11-20T08:06:00.0000000Z', 'completed', 2, 1, 0);
INSERT INTO detection_results (image_id, model_sha256, run_id, outcome, vehicle_count, error, processed_at) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', '7777777777777777777777777777777777777777777777777777777777777777', 'detect-1', 'one', 1, NULL, '2026-11-20T08:05:00.0000000Z'),
    ('2222222222222222222222222222222222222222222222222222222222222222', '7777777777777777777777777777777777777777777777777777777777777777', 'detect-1', 'none', 0, NULL, '2026-11-20T08:05:30.0000000Z');
INSERT INTO detections (image_id, model_sha256, rank, class_id, class_name, score, x1, y1, x2, y2, role, crop_x, crop_y, crop_width, crop_height, crop_id) VALUES
    ('1111111111111111111111111111111111111111111111111111111111111111', '7777777777777777777777777777777777777777777777777777777777777777', 0, 2, 'car', 0.8125, 100.5, 200.25, 612.5, 584.75, 'vehicle', 90, 190, 512, 384, '3333333333333333333333333333333333333333333333333333333333333333'),
    ('1111111111111111111111111111111111111111111111111111111111111111', '7777777777777777777777777777777777777777777777777777777777777777', 1, 0, 'person', 0.5, 10, 20, 30, 40, 'other_class', NULL, NULL, NULL, NULL, NULL);

-- api_keys
INSERT INTO api_clients (name, key_sha256, created_at, revoked_at) VALUES
    ('shop', '8888888888888888888888888888888888888888888888888888888888888888', '2026-11-26T08:00:00.0000000Z', NULL);

-- sources
INSERT INTO crawl_runs (run_id, source, start, options, started_at, finished_at, status, pages_fetched, images_added) VALUES
    ('crawl-1', 'web', 'https://example.org/', '{"maxDepth":2}', '2026-11-21T07:00:00.0000000Z', '2026-11-21T07:30:00.0000000Z', 'completed', 1, 1);
INSERT INTO crawl_urls (source, url, kind, status, depth, found_on, set_id, label, label_rule, image_id, reason, code, run_id, updated_at) VALUES
    ('web', 'https://example.org/', 'page', 'done', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'crawl-1', '2026-11-21T07:01:00.0000000Z'),
    ('web', 'https://example.org/img/a.jpg', 'image', 'done', 1, 'https://example.org/', 'set-1', 'sedan', 'alt text', '1111111111111111111111111111111111111111111111111111111111111111', NULL, NULL, 'crawl-1', '2026-11-21T07:02:00.0000000Z'),
    ('web', 'https://example.org/img/b.gif', 'image', 'skipped', 1, 'https://example.org/', NULL, NULL, NULL, NULL, 'not a photo', 'Format', 'crawl-1', '2026-11-21T07:03:00.0000000Z');

-- jobs
INSERT INTO job_runs (run_id, kind, context, created_at, finished_at) VALUES
    ('job-1', 'ingest', '{"source":"folder"}', '2026-11-20T07:59:00.0000000Z', '2026-11-20T08:00:03.0000000Z');
INSERT INTO job_batches (run_id, batch_index, items, job_id, result, completed_at) VALUES
    ('job-1', 0, 2, 'hf-17', '{"added":2}', '2026-11-20T08:00:02.0000000Z'),
    ('job-1', 1, 1, NULL, NULL, NULL);

-- skills
INSERT INTO skill_versions (skill, version, owner, reserved_at, published_at, files) VALUES
    ('makes', 2, 'train-1/0', '2026-11-24T12:00:00.0000000Z', '2026-11-24T17:00:00.0000000Z', '{"skill.json":"9999999999999999999999999999999999999999999999999999999999999999"}'),
    ('makes', 3, 'train-2/0', '2026-11-27T12:00:00.0000000Z', NULL, NULL);
