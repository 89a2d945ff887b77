namespace Skillmaker.Storage;

/// <summary>Crowd tasks, locks, answers and consolidated results; review batches and their retractions.
/// One definition for every engine (<see cref="SchemaDialect"/> spells the differences).</summary>
internal static class CrowdSchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("crowd",
    [
        new(1, "crowd tasks, locks, answers, results; review batches and retractions", $"""
            CREATE TABLE crowd_tasks (
                id {sql.Identity},
                image_id TEXT NOT NULL REFERENCES images(id),
                round {sql.WholeNumber} NOT NULL,
                overlap {sql.WholeNumber} NOT NULL CHECK (overlap BETWEEN 1 AND 20),
                gold_content TEXT NULL,
                gold_quality TEXT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'consolidated')),
                -- Kept by the store with every answer, so the next task is an index walk, not a count.
                answer_count {sql.WholeNumber} NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                UNIQUE (image_id, round)
            );
            CREATE INDEX ix_crowd_tasks_next ON crowd_tasks(status, answer_count DESC, round DESC, id);

            CREATE TABLE crowd_locks (
                task_id {sql.WholeNumber} NOT NULL REFERENCES crowd_tasks(id),
                worker TEXT NOT NULL,
                locked_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                PRIMARY KEY (task_id, worker)
            );

            CREATE TABLE crowd_answers (
                id {sql.Identity},
                task_id {sql.WholeNumber} NOT NULL REFERENCES crowd_tasks(id),
                worker TEXT NOT NULL,
                content TEXT NOT NULL,
                quality TEXT NOT NULL,
                seconds {sql.Real} NULL,
                channel TEXT NOT NULL,
                external_id TEXT NULL UNIQUE,
                answered_at TEXT NOT NULL,
                -- One answer per worker per task: a double submit is refused, never counted twice.
                UNIQUE (task_id, worker)
            );
            CREATE INDEX ix_crowd_answers_worker ON crowd_answers(worker);
            CREATE INDEX ix_crowd_locks_worker ON crowd_locks(worker, expires_at);

            CREATE TABLE crowd_results (
                id {sql.Identity},
                image_id TEXT NOT NULL REFERENCES images(id),
                task_id {sql.WholeNumber} NOT NULL REFERENCES crowd_tasks(id),
                method TEXT NOT NULL,
                content TEXT NOT NULL,
                content_confidence {sql.Real} NOT NULL,
                quality TEXT NOT NULL,
                quality_confidence {sql.Real} NOT NULL,
                answers {sql.WholeNumber} NOT NULL,
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
                label_id {sql.WholeNumber} NOT NULL REFERENCES labels(id),
                PRIMARY KEY (batch_id, label_id)
            );
            -- Undo never deletes a decision: it records that the decision no longer counts.
            CREATE TABLE label_retractions (
                label_id {sql.WholeNumber} PRIMARY KEY REFERENCES labels(id),
                batch_id TEXT NOT NULL,
                actor TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            );
            {sql.Refuse("crowd_answers_no_update", "crowd_answers", "UPDATE", "crowd answers are append-only")}
            {sql.Refuse("label_retractions_no_delete", "label_retractions", "DELETE", "retractions are append-only")}
            """),
    ]);

    /// <summary>What crowd workers read per answer option, edited by admins. A module of its own, so it
    /// can be added to any workspace whatever its crowd module's version.</summary>
    public static SchemaModule InstructionsModule { get; } = new("crowd-instructions",
    [
        new(1, "instructions with an example crop per answer option", """
            CREATE TABLE crowd_instructions (
                option_key TEXT PRIMARY KEY,
                text TEXT NOT NULL,
                example_image_id TEXT NULL REFERENCES images(id),
                updated_by TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            """),
    ]);
}
