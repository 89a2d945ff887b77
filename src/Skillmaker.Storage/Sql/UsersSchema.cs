namespace Skillmaker.Storage;

/// <summary>Users with hashed tokens, and the server's secrets. One definition for every engine
/// (<see cref="SchemaDialect"/> spells the differences).</summary>
internal static class UsersSchema
{
    public static SchemaModule Module(SchemaDialect sql) => new("users",
    [
        new(1, "users with hashed tokens, server secrets", $"""
            CREATE TABLE users (
                id {sql.Identity},
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL CHECK (role IN ('crowd', 'expert', 'admin')),
                token_sha256 TEXT NOT NULL UNIQUE,
                token_expires_at TEXT NULL,
                revoked_at TEXT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE server_secrets (
                name TEXT PRIMARY KEY,
                value {sql.Bytes} NOT NULL
            );
            """),
    ]);
}
