using System.Text.Json;

namespace Skillmaker.Common;

/// <summary>Which process runs which recorded run (an ingest or detect run marked <c>running</c> in the
/// catalog): one small file per run under <c>.skillmaker/leases/</c>, written when the run starts and
/// removed when it is recorded finished. A lease whose owner died (<see cref="ProcessLease.Check"/>) is a
/// run that will never finish by itself: <c>skillmaker doctor</c> and the startup check mark it interrupted.</summary>
public sealed class RunLeases(string folder)
{
    private const string Extension = ".lease";

    public string Folder { get; } = folder;

    public sealed record Entry(string Kind, string RunId, ProcessLease? Owner, string Path);

    /// <summary>Records that this process runs <paramref name="runId"/>; disposing the result removes the lease.</summary>
    public IDisposable Take(string kind, string runId)
    {
        Directory.CreateDirectory(Folder);
        var path = System.IO.Path.Combine(Folder, $"{kind}.{Safe(runId)}{Extension}");
        var owner = ProcessLease.Current;
        File.WriteAllText(path, JsonSerializer.Serialize(new { kind, runId, host = owner.Host, pid = owner.Pid, startedAtUnixMs = owner.StartedAtUnixMs }));
        return new Release(path);
    }

    public IReadOnlyList<Entry> List()
    {
        if (!Directory.Exists(Folder)) return [];
        var entries = new List<Entry>();
        foreach (var path in Directory.EnumerateFiles(Folder, "*" + Extension).Order(StringComparer.Ordinal))
        {
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(path));
                var root = json.RootElement;
                entries.Add(new Entry(root.GetProperty("kind").GetString() ?? "", root.GetProperty("runId").GetString() ?? "", ProcessLease.TryParse(root.GetRawText()), path));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                // Half-written by a crash between create and write: no owner to judge.
                entries.Add(new Entry("", "", null, path));
            }
        }
        return entries;
    }

    private static string Safe(string runId) => string.Concat(runId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    private sealed class Release(string path) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }
}
