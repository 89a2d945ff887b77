using System.Globalization;
using System.Text.RegularExpressions;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Sources;
using Skillmaker.Storage.Files;

namespace Skillmaker.Host;

/// <summary>What <see cref="Doctor"/> should do.</summary>
public sealed record DoctorRequest
{
    /// <summary>Clean what is found (remove files, mark runs interrupted); otherwise only report. Default false.</summary>
    public bool Fix { get; init; }

    /// <summary>Walk the workspace and blob store for orphan temporary files (slow on a large store). The
    /// startup check skips it. Default true.</summary>
    public bool ScanFiles { get; init; } = true;

    /// <summary>Only what a dead owner proves is a leftover (the startup check); otherwise also files with no
    /// owner recorded that are older than <see cref="MinAge"/>. Default false.</summary>
    public bool OnlyProven { get; init; }

    /// <summary>A temporary file or staging folder without a recorded owner counts as a leftover only when
    /// untouched this long: an atomic write lives for milliseconds. Default 10 minutes.</summary>
    public TimeSpan MinAge { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>One thing found. <see cref="Kind"/>: <c>temp-file</c> (an atomic write's temporary file, e.g. a
/// blob), <c>skill-staging</c> (a training's <c>.tmp-N-*</c> folder), <c>skill-reservation</c> (a
/// <c>.vN.reserved</c> marker), <c>run</c> (a run recorded <c>running</c>). <see cref="State"/>:
/// <c>leftover</c> (a crash left it; <see cref="Fixed"/> when cleaned), <c>in-use</c> (its owner runs here),
/// <c>elsewhere</c> (its owner ran on another machine, which this one cannot judge) or <c>unknown</c> (no
/// owner recorded and not old enough, or a run without a lease).</summary>
public sealed record DoctorFinding(string Kind, string Path, long Bytes, string State, string Detail, bool Fixed);

public sealed record DoctorReport(IReadOnlyList<DoctorFinding> Findings)
{
    public IReadOnlyList<DoctorFinding> Leftovers => [.. Findings.Where(f => f.State == Doctor.Leftover)];
    public bool Clean => Leftovers.All(f => f.Fixed);
}

/// <summary>Finds and cleans what crashes leave behind (kill -9, power loss, a full disk): orphan
/// temporary files of atomic writes (blobs first of all), training staging folders and version
/// reservations, and runs recorded <c>running</c> whose process is gone, which it marks interrupted.
/// Whose work something is comes from <see cref="ProcessLease"/>s: work of a process alive on this machine,
/// or of any process on another machine, is never touched.</summary>
public sealed partial class Doctor(LineServices line)
{
    public const string Leftover = "leftover", InUse = "in-use", Elsewhere = "elsewhere", Unknown = "unknown";

    /// <summary>The startup check every host runs when it opens the workspace (each CLI command, <c>serve</c>,
    /// the server program): cleans only what a dead owner on this machine proves is a leftover (runs left
    /// running, training staging and reservations; no walk over the files) and writes one <c>note:</c> line
    /// per thing cleaned to <paramref name="notes"/> (stderr), made safe to print.</summary>
    public async Task<DoctorReport> StartupCheckAsync(TextWriter notes, CancellationToken cancellationToken)
    {
        var report = await CheckAsync(new DoctorRequest { Fix = true, ScanFiles = false, OnlyProven = true }, cancellationToken);
        foreach (var f in report.Leftovers.Where(f => f.Fixed))
            lock (notes) notes.WriteLine($"note: cleaned a crash leftover: {PrintableText.Of(f.Path)}: {PrintableText.Of(f.Detail)}");
        return report;
    }

    public async Task<DoctorReport> CheckAsync(DoctorRequest request, CancellationToken cancellationToken)
    {
        var findings = new List<DoctorFinding>();
        await RunsAsync(request, findings, cancellationToken);
        Skills(request, findings);
        if (request.ScanFiles) TempFiles(request, findings, cancellationToken);
        return new DoctorReport(findings);
    }

    private async Task RunsAsync(DoctorRequest request, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var leased = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<IngestRunResult>? ingestRuns = null;
        foreach (var lease in line.Leases.List())
        {
            leased.Add(lease.RunId);
            var state = lease.Owner?.Check();
            var name = lease.Kind.Length > 0 ? $"{lease.Kind} run {lease.RunId}" : lease.Path;
            if (state is LeaseState.Alive or LeaseState.Elsewhere)
            {
                findings.Add(new("run", name, 0, state == LeaseState.Alive ? InUse : Elsewhere, $"running in {lease.Owner}", false));
                continue;
            }
            if (lease.Owner is null)
            {
                // A lease cut short by a crash between creating and writing it: no owner to judge by.
                var old = Age(lease.Path) > request.MinAge && !request.OnlyProven;
                var removed = old && request.Fix && TryDelete(lease.Path);
                findings.Add(new("lease", lease.Path, 0, old ? Leftover : Unknown, "an unreadable run lease", removed));
                continue;
            }
            var fixedIt = false;
            if (request.Fix)
            {
                if (lease.Kind is Ingest.IngestSession.LeaseKind or CrawlService.LeaseKind or UrlIngestService.LeaseKind)
                {
                    ingestRuns ??= await line.Catalog.ListIngestRunsAsync(cancellationToken);
                    if (ingestRuns.FirstOrDefault(r => r.RunId == lease.RunId) is { Status: IngestRunStatus.Running } run)
                        await line.Catalog.FinishIngestRunAsync(run with { Status = IngestRunStatus.Interrupted, FinishedAt = line.Time.GetUtcNow() }, cancellationToken);
                    // A crawl or URL download is the same run seen from the crawl state: the next run carries on from there.
                    if (lease.Kind is not Ingest.IngestSession.LeaseKind)
                        await line.CrawlState.InterruptRunAsync(lease.RunId, line.Time.GetUtcNow(), cancellationToken);
                }
                else if (lease.Kind == DetectService.LeaseKind)
                    await line.DetectionStore.FinishRunAsync(new DetectRunResult { RunId = lease.RunId, FinishedAt = line.Time.GetUtcNow(), Status = DetectRunStatus.Interrupted }, cancellationToken);
                fixedIt = TryDelete(lease.Path);
            }
            findings.Add(new("run", name, 0, Leftover, $"recorded running, but its {lease.Owner} is gone; {(fixedIt ? "marked" : "to be marked")} interrupted (re-run the command to finish it)", fixedIt));
        }

        // Runs recorded running that no lease here accounts for: distributed runs (their jobs finish them)
        // or runs from before leases. Reported, never changed.
        ingestRuns ??= await line.Catalog.ListIngestRunsAsync(cancellationToken);
        foreach (var run in ingestRuns.Where(r => r.Status == IngestRunStatus.Running && !leased.Contains(r.RunId)))
            findings.Add(new("run", $"ingest run {run.RunId}", 0, Unknown, "recorded running with no owner recorded on this machine (a distributed run, or one from an older version); left as it is", false));
    }

    private void Skills(DoctorRequest request, List<DoctorFinding> findings)
    {
        var root = Path.Combine(line.Workspace.StateDirectory, "skills");
        if (!Directory.Exists(root)) return;
        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var owners = new Dictionary<int, (ProcessLease? Owner, LeaseState? State)>();
            foreach (var marker in Directory.EnumerateFiles(folder, ".v*.reserved").Order(StringComparer.Ordinal))
            {
                if (!int.TryParse(Path.GetFileName(marker)[2..^".reserved".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var version)) continue;
                var owner = ProcessLease.TryRead(marker);
                var state = owner?.Check();
                owners[version] = (owner, state);
                Judge(request, findings, "skill-reservation", marker, 0, owner, state, $"version {version} of {Path.GetFileName(folder)}", () => File.Delete(marker));
            }
            foreach (var staging in Directory.EnumerateDirectories(folder, ".tmp-*").Order(StringComparer.Ordinal))
            {
                var match = StagingName().Match(Path.GetFileName(staging));
                var (owner, state) = match.Success && owners.TryGetValue(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), out var o) ? o : (null, null);
                Judge(request, findings, "skill-staging", staging, FolderBytes(staging), owner, state, $"a package of {Path.GetFileName(folder)} being written",
                    () => Directory.Delete(staging, recursive: true));
            }
        }
    }

    private void TempFiles(DoctorRequest request, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var roots = new List<string> { line.Workspace.Root };
        if (line.Blobs is FileBlobStore files && !IsUnder(files.Location, line.Workspace.Root)) roots.Add(files.Location);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint, MatchType = MatchType.Simple };
        foreach (var root in roots.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(root, ".*.tmp", options))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!AtomicTempName().IsMatch(Path.GetFileName(file))) continue;
                long bytes;
                try
                {
                    bytes = new FileInfo(file).Length;
                }
                catch (IOException)
                {
                    continue; // gone meanwhile: its write finished
                }
                Judge(request, findings, "temp-file", file, bytes, null, null, $"an unfinished write of {Path.GetFileName(file)[1..^37]}", () => File.Delete(file));
            }
    }

    /// <summary>A thing with an owner (or none): a leftover when the owner is dead, or, without one, when it
    /// is older than the minimum age (and the request allows judging by age).</summary>
    private void Judge(DoctorRequest request, List<DoctorFinding> findings, string kind, string path, long bytes, ProcessLease? owner, LeaseState? state, string what, Action remove)
    {
        string verdict, detail;
        switch (state)
        {
            case LeaseState.Alive:
                (verdict, detail) = (InUse, $"{what} by {owner}, still running");
                break;
            case LeaseState.Elsewhere:
                (verdict, detail) = (Elsewhere, $"{what} by {owner}; not judged from this machine");
                break;
            case LeaseState.Dead:
                (verdict, detail) = (Leftover, $"{what} by {owner}, which is gone");
                break;
            default:
                var age = Age(path);
                var old = !request.OnlyProven && age > request.MinAge;
                (verdict, detail) = (old ? Leftover : Unknown, $"{what}, no owner recorded, untouched for {Describe(age)}");
                break;
        }
        var cleaned = false;
        if (verdict == Leftover && request.Fix)
        {
            try
            {
                remove();
                cleaned = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                detail += $"; not removed: {ex.Message}";
            }
        }
        findings.Add(new(kind, path, bytes, verdict, detail, cleaned));
    }

    private TimeSpan Age(string path)
    {
        var touched = Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path);
        var age = line.Time.GetUtcNow() - new DateTimeOffset(touched, TimeSpan.Zero);
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    private static string Describe(TimeSpan age) => age.TotalHours >= 1 ? $"{age.TotalHours:0.#} h" : age.TotalMinutes >= 1 ? $"{age.TotalMinutes:0} min" : $"{age.TotalSeconds:0} s";

    private static long FolderBytes(string folder)
    {
        try
        {
            return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsUnder(string path, string root)
    {
        var relative = Path.GetRelativePath(root, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    // AtomicFile.TempSibling: ".NAME.<32 hex>.tmp".
    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex AtomicTempName();

    [GeneratedRegex(@"^\.tmp-(\d+)-")]
    private static partial Regex StagingName();
}
