namespace Skillmaker.Storage;

/// <summary>Shadow answer counts (serve with shadow on). The DDL is the same on SQLite and PostgreSQL.</summary>
internal static class ShadowSchema
{
    public static readonly SchemaModule Module = new("shadow",
    [
        new(1, "shadow answer counts per skill, staging version, production version and agreement", """
            CREATE TABLE shadow_answers (
                skill TEXT NOT NULL,
                staging_version INTEGER NOT NULL,
                production_version INTEGER NOT NULL,
                agreement TEXT NOT NULL CHECK (agreement IN ('agree', 'disagree')),
                answers BIGINT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (skill, staging_version, production_version, agreement)
            );
            """),
    ]);
}
