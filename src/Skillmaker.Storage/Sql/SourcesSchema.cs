namespace Skillmaker.Storage;

/// <summary>The sources feature's tables: every page and image URL a source has met (the crawl
/// frontier and its outcomes) and the runs that met them.
/// One DDL for SQLite and PostgreSQL: BIGINT and DOUBLE PRECISION have SQLite's INTEGER and REAL
/// affinities.</summary>
internal static class SourcesSchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("sources",
    [
        new(1, "crawl URLs (frontier and outcomes), crawl runs", $"""
            CREATE TABLE crawl_urls (
                seq {sql.Identity},
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
            """),
    ]);
}
