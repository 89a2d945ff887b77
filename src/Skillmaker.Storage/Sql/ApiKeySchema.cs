namespace Skillmaker.Storage;

/// <summary>Inference API clients. The DDL is the same on SQLite and PostgreSQL.</summary>
internal static class ApiKeySchema
{
    public static readonly SchemaModule Module = new("api_keys",
    [
        new(1, "inference API clients with hashed keys", """
            CREATE TABLE api_clients (
                name TEXT PRIMARY KEY,
                key_sha256 TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                revoked_at TEXT NULL
            );
            """),
    ]);
}
