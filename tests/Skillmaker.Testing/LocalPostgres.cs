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

    private LocalPostgres(string dir, string bin, int port, string database, string? password)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
        Database = database;
        Password = password;
    }

    /// <summary>The password every connection must give (scram-sha-256), or null when the server trusts local connections.</summary>
    public string? Password { get; }

    public int Port { get; }
    public string Database { get; }
    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>A location on this server with a fresh schema, e.g. <c>postgres://skillmaker@127.0.0.1:PORT/DB?schema=t_…</c>.</summary>
    public string NewLocation(string prefix) => $"postgres://skillmaker@127.0.0.1:{Port}/{Database}?schema={prefix}_{Guid.NewGuid():N}";

    /// <param name="password">When given, the server asks every connection for it (scram-sha-256), as a
    /// real deployment does; otherwise it trusts local connections.</param>
    public static async Task<LocalPostgres> StartAsync(string database, string? password = null)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run .ci/install-deps.");
        var dir = Path.Combine(Path.GetTempPath(), $"sm-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var server = new LocalPostgres(dir, bin, FreePort(), database, password);
        var passwordFile = Path.Combine(dir, "pwfile");
        if (password is not null) File.WriteAllText(passwordFile, password + "\n");
        if (Environment.UserName == "root")
            Run("chown", "-R", "postgres", dir);
        server.RunAsServerUser("initdb", ["-D", server.DataDir, "-A", password is null ? "trust" : "scram-sha-256", "-U", "skillmaker", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
            .. password is null ? Array.Empty<string>() : [$"--pwfile={passwordFile}"]]);
        if (password is not null) File.Delete(passwordFile);
        server.Start();
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=skillmaker;Database=postgres;Pooling=false{(password is null ? "" : $";Password={password}")}");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
        await create.ExecuteNonQueryAsync();
        return server;
    }

    private void Start() => RunAsServerUser("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "start",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");

    /// <summary>Restarts the server as an administrator does (fast shutdown: every session is ended with
    /// 57P01 "terminating connection due to administrator command"), waiting until it accepts connections again.</summary>
    public void Restart()
    {
        RunAsServerUser("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop");
        Start();
    }

    /// <summary>pg_dump of the whole database (every schema), as plain SQL.</summary>
    public string Dump()
    {
        var start = new ProcessStartInfo(Path.Combine(_bin, "pg_dump")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "skillmaker", Database }) start.ArgumentList.Add(a);
        if (Password is not null) start.Environment["PGPASSWORD"] = Password;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var dump = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg_dump failed: {stderr.Result}");
        return dump;
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
