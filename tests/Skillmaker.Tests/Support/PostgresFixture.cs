using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Skillmaker.Tests.Support;

/// <summary>A real PostgreSQL server (Debian's postgresql package, installed by .ci/install-deps) in a
/// throw-away data folder on a free loopback port. Each test takes a schema of its own, so tests own
/// their data and never see each other's.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Database = "skillmaker_test";
    private readonly TempDir _dir = new("pg");
    private string _bin = "";
    private string DataDir => Path.Combine(_dir.Path, "data");

    public int Port { get; private set; }

    /// <summary>A workspace catalog location with a fresh schema.</summary>
    public string NewCatalogLocation() => NewLocation("t");

    /// <summary>A location on this server with a fresh schema, e.g. for a job queue.</summary>
    public string NewLocation(string prefix) => $"postgres://skillmaker@127.0.0.1:{Port}/{Database}?schema={prefix}_{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run .ci/install-deps.");
        Port = FreePort();
        if (Environment.UserName == "root")
            Run("chown", "postgres", _dir.Path);
        RunAsServerUser(Path.Combine(_bin, "initdb"), "-D", DataDir, "-A", "trust", "-U", "skillmaker", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8");
        RunAsServerUser(Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "-l", Path.Combine(_dir.Path, "server.log"), "-w", "-t", "60", "start",
            "-o", $"-p {Port} -k {_dir.Path} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=skillmaker;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync()
    {
        try { RunAsServerUser(Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "-m", "immediate", "stop"); }
        catch (InvalidOperationException) { }
        NpgsqlConnection.ClearAllPools();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private static void RunAsServerUser(string tool, params string[] args)
    {
        // PostgreSQL refuses to run as root.
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", tool, .. args]);
        else Run(tool, args);
    }

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed: {stderr.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<S3rverFixture>
{
    public const string Name = "postgres";
}
