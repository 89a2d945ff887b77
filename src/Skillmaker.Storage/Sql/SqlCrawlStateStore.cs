using System.Data.Common;
using Dapper;
using Skillmaker.Sources;

namespace Skillmaker.Storage;

/// <summary>Crawl state in the catalog's database, in portable SQL (SQLite or PostgreSQL). A URL is
/// unique per source and kind; inserting ignores URLs already met, so concurrent or repeated runs never
/// duplicate work.</summary>
public sealed class SqlCrawlStateStore(SqlCatalog catalog) : ICrawlStateStore
{
    public async Task<CrawlStateCounts> StartRunAsync(CrawlRunRecord run, bool refreshPages, CancellationToken cancellationToken)
    {
        await using (var connection = await catalog.OpenAsync(cancellationToken))
        await using (var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crawl_runs (run_id, source, start, options, started_at, status)
                VALUES (@RunId, @Source, @Start, @Options, @startedAt, 'running')
                """, new { run.RunId, run.Source, run.Start, run.Options, startedAt = SqlCatalog.Iso(run.StartedAt) }, tx, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE crawl_urls SET status = 'pending' WHERE source = @Source AND status = 'failed'",
                new { run.Source }, tx, cancellationToken: cancellationToken));
            if (refreshPages)
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE crawl_urls SET status = 'pending' WHERE source = @Source AND kind = 'page' AND status IN ('done', 'skipped')",
                    new { run.Source }, tx, cancellationToken: cancellationToken));
            await tx.CommitAsync(cancellationToken);
        }
        return await CountAsync(run.Source, cancellationToken);
    }

    public async Task FinishRunAsync(CrawlRunRecord run, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE crawl_runs SET finished_at = @finishedAt, status = @Status, pages_fetched = @PagesFetched, images_added = @ImagesAdded
            WHERE run_id = @RunId
            """,
            new { finishedAt = run.FinishedAt is { } f ? SqlCatalog.Iso(f) : null, run.Status, run.PagesFetched, run.ImagesAdded, run.RunId },
            cancellationToken: cancellationToken));
    }

    public async Task<CrawlRunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            "SELECT * FROM crawl_runs WHERE run_id = @runId", new { runId }, cancellationToken: cancellationToken));
        return row?.ToModel();
    }

    public async Task<bool> InterruptRunAsync(string runId, DateTimeOffset finishedAt, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE crawl_runs SET finished_at = @finishedAt, status = 'interrupted',
                pages_fetched = (SELECT COUNT(*) FROM crawl_urls WHERE crawl_urls.run_id = @runId AND crawl_urls.kind = 'page' AND crawl_urls.status <> 'pending')
            WHERE run_id = @runId AND status = 'running'
            """, new { runId, finishedAt = SqlCatalog.Iso(finishedAt) }, cancellationToken: cancellationToken));
        return changed > 0;
    }

    public async Task<int> AddAsync(string source, IReadOnlyList<CrawlUrl> urls, CancellationToken cancellationToken)
    {
        if (urls.Count == 0) return 0;
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        var added = await InsertAsync(connection, tx, source, urls, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<CrawlUrl>> PendingAsync(string source, CrawlUrlKind kind, string? foundOn, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT * FROM crawl_urls
            WHERE source = @source AND kind = @kind AND status = 'pending' AND (@foundOn IS NULL OR found_on = @foundOn)
            ORDER BY seq LIMIT @limit
            """, new { source, kind = Name(kind), foundOn, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToModel())];
    }

    public async Task CompleteAsync(string source, CrawlUrl outcome, string runId, IReadOnlyList<CrawlUrl> discovered, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var tx = await catalog.Database.BeginWriteAsync(connection, cancellationToken);
        await InsertAsync(connection, tx, source, [outcome], cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE crawl_urls SET status = @status, image_id = @ImageId, reason = @Reason, code = @Code, run_id = @runId, updated_at = @now
            WHERE source = @source AND kind = @kind AND url = @Url
            """,
            new { status = Name(outcome.Status), outcome.ImageId, outcome.Reason, outcome.Code, runId, now = Now(), source, kind = Name(outcome.Kind), outcome.Url },
            tx, cancellationToken: cancellationToken));
        await InsertAsync(connection, tx, source, discovered, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, CrawlUrl>> GetAsync(string source, CrawlUrlKind kind, IReadOnlyList<string> urls, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, CrawlUrl>(StringComparer.Ordinal);
        await using var connection = await catalog.OpenAsync(cancellationToken);
        // Chunked: SQLite limits the number of parameters of one statement.
        foreach (var chunk in urls.Distinct().Chunk(500))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT * FROM crawl_urls WHERE source = @source AND kind = @kind AND {catalog.In("url", "chunk")}",
                new { source, kind = Name(kind), chunk = chunk.ToList() }, cancellationToken: cancellationToken));
            foreach (var row in rows) found[row.url] = row.ToModel();
        }
        return found;
    }

    public async Task<CrawlStateCounts> CountAsync(string source, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        var counts = (await connection.QueryAsync<(string Kind, string Status, long Count)>(new CommandDefinition(
            "SELECT kind, status, COUNT(*) FROM crawl_urls WHERE source = @source GROUP BY kind, status",
            new { source }, cancellationToken: cancellationToken))).ToDictionary(r => (r.Kind, r.Status), r => (int)r.Count);
        int Get(string kind, string status) => counts.GetValueOrDefault((kind, status));
        return new CrawlStateCounts
        {
            PagesPending = Get("page", "pending"), PagesDone = Get("page", "done"), PagesSkipped = Get("page", "skipped"), PagesFailed = Get("page", "failed"),
            ImagesPending = Get("image", "pending"), ImagesDone = Get("image", "done"), ImagesSkipped = Get("image", "skipped"), ImagesFailed = Get("image", "failed"),
        };
    }

    private async Task<int> InsertAsync(DbConnection connection, DbTransaction tx, string source, IReadOnlyList<CrawlUrl> urls, CancellationToken cancellationToken)
    {
        var added = 0;
        var now = Now();
        foreach (var u in urls)
            added += await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO crawl_urls (source, url, kind, status, depth, found_on, set_id, label, label_rule, image_id, reason, code, updated_at)
                VALUES (@source, @Url, @kind, @status, @Depth, @FoundOn, @SetId, @Label, @LabelRule, @ImageId, @Reason, @Code, @now)
                ON CONFLICT (source, kind, url) DO NOTHING
                """,
                new { source, u.Url, kind = Name(u.Kind), status = Name(u.Status), u.Depth, u.FoundOn, u.SetId, u.Label, u.LabelRule, u.ImageId, u.Reason, u.Code, now },
                tx, cancellationToken: cancellationToken));
        return added;
    }

    private string Now() => SqlCatalog.Iso(catalog.Time.GetUtcNow());

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

#pragma warning disable IDE1006, CA1707 // Dapper maps snake_case columns onto these names.
    private sealed class Row
    {
        public long seq { get; set; }
        public string url { get; set; } = "";
        public string kind { get; set; } = "";
        public string status { get; set; } = "";
        public long depth { get; set; }
        public string? found_on { get; set; }
        public string? set_id { get; set; }
        public string? label { get; set; }
        public string? label_rule { get; set; }
        public string? image_id { get; set; }
        public string? reason { get; set; }
        public string? code { get; set; }

        public CrawlUrl ToModel() => new()
        {
            Url = url,
            Kind = Enum.Parse<CrawlUrlKind>(kind, ignoreCase: true),
            Status = Enum.Parse<CrawlUrlStatus>(status, ignoreCase: true),
            Depth = (int)depth,
            FoundOn = found_on,
            SetId = set_id,
            Label = label,
            LabelRule = label_rule,
            ImageId = image_id,
            Reason = reason,
            Code = code,
            Seq = seq,
        };
    }

    private sealed class RunRow
    {
        public string run_id { get; set; } = "";
        public string source { get; set; } = "";
        public string start { get; set; } = "";
        public string options { get; set; } = "";
        public string started_at { get; set; } = "";
        public string? finished_at { get; set; }
        public string status { get; set; } = "";
        public long pages_fetched { get; set; }
        public long images_added { get; set; }

        public CrawlRunRecord ToModel() => new()
        {
            RunId = run_id,
            Source = source,
            Start = start,
            Options = options,
            StartedAt = DateTimeOffset.Parse(started_at, System.Globalization.CultureInfo.InvariantCulture),
            FinishedAt = finished_at is null ? null : DateTimeOffset.Parse(finished_at, System.Globalization.CultureInfo.InvariantCulture),
            Status = status,
            PagesFetched = (int)pages_fetched,
            ImagesAdded = (int)images_added,
        };
    }
#pragma warning restore IDE1006, CA1707
}
