namespace Skillmaker.Storage.Sqlite;

/// <summary>The catalog in one SQLite file (WAL mode, so readers never wait for the writer).</summary>
public sealed class SqliteCatalog(string path) : SqlCatalog(new SqliteDatabase(path));
