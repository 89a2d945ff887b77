namespace Skillmaker.Storage;

/// <summary>The shared skill index: version numbers and the blob ids of each package's files. The DDL is
/// the same on SQLite and PostgreSQL.</summary>
internal static class SkillIndexSchema
{
    public static readonly SchemaModule Module = new("skills",
    [
        new(1, "skill versions and their package files in the blob store", """
            CREATE TABLE skill_versions (
                skill TEXT NOT NULL,
                version BIGINT NOT NULL,
                owner TEXT NOT NULL UNIQUE,
                reserved_at TEXT NOT NULL,
                published_at TEXT NULL,
                files TEXT NULL,
                PRIMARY KEY (skill, version)
            );
            """),
    ]);
}
