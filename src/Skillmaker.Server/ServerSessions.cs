using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;

namespace Skillmaker.Server;

/// <summary>Server-side sessions: the cookie carries only a random session id; the sign-in itself is kept
/// here (in memory and, encrypted with the server's data-protection keys, as a 0600 file under
/// <c>.skillmaker/server-sessions</c> so a restart keeps people signed in). Logout deletes it, so a copy of
/// the cookie taken before is worthless; a session past its expiry is deleted when it is next presented.</summary>
public sealed class ServerSessions(string folder, IDataProtectionProvider protection, TimeProvider time) : ITicketStore
{
    private readonly ConcurrentDictionary<string, AuthenticationTicket> _live = new(StringComparer.Ordinal);
    private readonly IDataProtector _protector = protection.CreateProtector("skillmaker.server-sessions");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await RenewAsync(key, ticket);
        return key;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        _live[key] = ticket;
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bytes = _protector.Protect(TicketSerializer.Default.Serialize(ticket));
        await Common.AtomicFile.WriteAllBytesAsync(PathOf(key), bytes, CancellationToken.None);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(PathOf(key), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        if (!IsKey(key)) return null;
        if (!_live.TryGetValue(key, out var ticket))
        {
            var path = PathOf(key);
            if (!File.Exists(path)) return null;
            try
            {
                ticket = TicketSerializer.Default.Deserialize(_protector.Unprotect(await File.ReadAllBytesAsync(path)));
            }
            catch (CryptographicException)
            {
                ticket = null;
            }
            if (ticket is null) return null;
            _live[key] = ticket;
        }
        if (ticket.Properties.ExpiresUtc is { } expires && expires <= time.GetUtcNow())
        {
            await RemoveAsync(key);
            return null;
        }
        return ticket;
    }

    public Task RemoveAsync(string key)
    {
        if (!IsKey(key)) return Task.CompletedTask;
        _live.TryRemove(key, out _);
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    /// <summary>Sessions held now (for tests and the doctor).</summary>
    public int Count => Directory.Exists(folder) ? Directory.GetFiles(folder, "*.session").Length : 0;

    private string PathOf(string key) => Path.Combine(folder, key + ".session");

    private static bool IsKey(string key) => key.Length == 64 && key.All(char.IsAsciiHexDigitLower);
}

/// <summary>Failed sign-ins per client address: after <see cref="MaxFailures"/> within <see cref="Window"/>
/// the address must wait until the window has passed (429 with Retry-After).</summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the address must still wait; null when it may try.</summary>
    public TimeSpan? WaitFor(IPAddress? address)
    {
        var now = time.GetUtcNow();
        if (!_failures.TryGetValue(Key(address), out var q)) return null;
        lock (q)
        {
            while (q.Count > 0 && q.Peek() <= now - Window) q.Dequeue();
            return q.Count >= MaxFailures ? q.Peek() + Window - now : null;
        }
    }

    public void Failed(IPAddress? address)
    {
        if (_failures.Count > 100_000) _failures.Clear();
        var q = _failures.GetOrAdd(Key(address), _ => new Queue<DateTimeOffset>());
        lock (q) q.Enqueue(time.GetUtcNow());
    }

    public void Succeeded(IPAddress? address) => _failures.TryRemove(Key(address), out _);

    private static string Key(IPAddress? address) => address?.ToString() ?? "unknown";
}

/// <summary>The audit log of sign-ins: one JSON line per sign-in, failure, throttled attempt and sign-out in
/// <c>.skillmaker/audit.log</c> (0600). Tokens are never written, only the user they belong to.</summary>
public sealed class AuditLog(string path, TimeProvider time)
{
    private readonly Lock _gate = new();

    public string Path { get; } = path;

    public void Write(string @event, string? user, IPAddress? address, string? detail = null)
    {
        var line = JsonSerializer.Serialize(new
        {
            at = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            @event,
            user,
            address = address?.ToString(),
            detail,
        }) + "\n";
        lock (_gate)
        {
            var created = !File.Exists(Path);
            File.AppendAllText(Path, line);
            if (created && !OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
