namespace Skillmaker.Storage.Sqlite;

internal static class UsersSchema
{
    public static readonly SchemaModule Module = new("users",
    [
        new(1, "users with hashed tokens, server secrets", """
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
            """),
    ]);
}
