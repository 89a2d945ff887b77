namespace Skillmaker.Storage;

/// <summary>The job ledger: distributed runs and their batches. The DDL is the same on SQLite and PostgreSQL.</summary>
internal static class JobsSchema
{
    public static readonly SchemaModule Module = new("jobs",
    [
        new(1, "distributed runs and their batches", """
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
            """),
    ]);
}
