using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Skillmaker.Testing;

/// <summary>A throw-away PostgreSQL server (Debian's postgresql package, installed by .ci/install-deps) in
/// its own data folder on a free loopback port, with one database, trusting local connections. Shared by
/// the tests and the bench, so it uses nothing of the test framework.</summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _bin;

    private LocalPostgres(string dir, string bin, int port, string database)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
        Database = database;
    }

    public int Port { get; }
    public string Database { get; }
    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>A location on this server with a fresh schema, e.g. <c>postgres://skillmaker@127.0.0.1:PORT/DB?schema=t_…</c>.</summary>
    public string NewLocation(string prefix) => $"postgres://skillmaker@127.0.0.1:{Port}/{Database}?schema={prefix}_{Guid.NewGuid():N}";

    public static async Task<LocalPostgres> StartAsync(string database)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run .ci/install-deps.");
        var dir = Path.Combine(Path.GetTempPath(), $"sm-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var server = new LocalPostgres(dir, bin, FreePort(), database);
        if (Environment.UserName == "root")
            Run("chown", "postgres", dir);
        server.RunAsServerUser("initdb", "-D", server.DataDir, "-A", "trust", "-U", "skillmaker", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8");
        server.RunAsServerUser("pg_ctl", "-D", server.DataDir, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60", "start",
            "-o", $"-p {server.Port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=skillmaker;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
        await create.ExecuteNonQueryAsync();
        return server;
    }

    public ValueTask DisposeAsync()
    {
        try { RunAsServerUser("pg_ctl", "-D", DataDir, "-m", "immediate", "stop"); }
        catch (InvalidOperationException) { }
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    private void RunAsServerUser(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        // PostgreSQL refuses to run as root.
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
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
