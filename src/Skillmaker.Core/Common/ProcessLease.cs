using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Skillmaker.Common;

/// <summary>Whose work a leftover is: the machine, process id and process start time of the process that
/// began it. A crash (kill -9, power loss) leaves the lease behind; <see cref="Check"/> then tells a dead
/// owner (same machine, and no process with that id started at that time) from a live one, and never
/// judges a process on another machine, whose ids mean nothing here.</summary>
public sealed record ProcessLease(string Host, int Pid, long StartedAtUnixMs)
{
    private static readonly Lazy<ProcessLease> Self = new(() =>
    {
        using var me = Process.GetCurrentProcess();
        return new ProcessLease(Environment.MachineName, me.Id, StartOf(me) ?? 0);
    });

    /// <summary>This process.</summary>
    public static ProcessLease Current => Self.Value;

    public string Serialize() => JsonSerializer.Serialize(new { host = Host, pid = Pid, startedAtUnixMs = StartedAtUnixMs });

    /// <summary>The lease written by <see cref="Serialize"/>; null for anything else (an empty or older marker).</summary>
    public static ProcessLease? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            return new ProcessLease(root.GetProperty("host").GetString() ?? "", root.GetProperty("pid").GetInt32(), root.GetProperty("startedAtUnixMs").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public static ProcessLease? TryRead(string path)
    {
        try
        {
            return TryParse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public LeaseState Check()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return LeaseState.Elsewhere;
        try
        {
            using var process = Process.GetProcessById(Pid);
            if (process.HasExited) return LeaseState.Dead;
            // A reused process id: another process, started at another time.
            return StartOf(process) is { } started && Math.Abs(started - StartedAtUnixMs) > 2000 ? LeaseState.Dead : LeaseState.Alive;
        }
        catch (ArgumentException)
        {
            return LeaseState.Dead; // no such process
        }
        catch (InvalidOperationException)
        {
            return LeaseState.Dead; // exited while we looked
        }
    }

    public override string ToString() => $"process {Pid.ToString(CultureInfo.InvariantCulture)} on {Host}";

    private static long? StartOf(Process process)
    {
        try
        {
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeMilliseconds();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}

public enum LeaseState
{
    /// <summary>The owner still runs here: its work is not a leftover.</summary>
    Alive,
    /// <summary>The owner ran here and is gone: its work is a crash leftover.</summary>
    Dead,
    /// <summary>The owner ran on another machine: this one cannot tell, so it leaves the work alone.</summary>
    Elsewhere,
}
