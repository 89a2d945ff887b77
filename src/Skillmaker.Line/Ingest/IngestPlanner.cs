using System.Globalization;
using System.Text.RegularExpressions;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Catalog;

namespace Skillmaker.Ingest;

/// <summary>Turns the paths and manifests of a request into a deterministic list of files, each with
/// what its source says about it. Problems found here (a missing path, a manifest without a path
/// column) become rejections; the rest of the request goes on.</summary>
public static partial class IngestPlanner
{
    /// <summary>Extensions looked at when walking folders. Formats Skillmaker cannot decode are listed
    /// so that they are reported as unsupported rather than skipped without a word.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".avif", ".heic", ".heif", ".tif", ".tiff",
    };

    public static readonly IReadOnlyList<string> ManifestColumns = ["path", "set_id", "label", "date_taken", "source"];

    public sealed record Plan(IReadOnlyList<IngestItem> Items, IReadOnlyList<Rejection> Rejected, int Ignored, IReadOnlyList<string> Warnings);

    /// <summary>The plan; a walk stops at once when <paramref name="cancellationToken"/> is cancelled
    /// (OperationCanceledException), so a signal during a long walk is not ignored.</summary>
    public static Plan Build(IngestRequest request, CancellationToken cancellationToken)
    {
        ValidateSourceName(request.Source);
        var items = new List<IngestItem>();
        var rejected = new List<Rejection>();
        var warnings = new List<string>();
        var ignored = 0;

        foreach (var raw in request.Paths)
        {
            var path = Path.GetFullPath(raw);
            if (Directory.Exists(path))
                ignored += AddFolder(path, request, items, rejected, warnings, cancellationToken);
            else if (File.Exists(path))
                items.Add(new IngestItem { Path = path, Source = request.Source, Actor = $"ingest:{request.Source}" });
            else if (IsDanglingLink(path))
                rejected.Add(new Rejection(path, DanglingLinkReason, RejectCode.Unreadable));
            else
                rejected.Add(new Rejection(path, "file or folder does not exist", RejectCode.NotFound));
        }

        foreach (var manifest in request.Manifests)
            AddManifest(Path.GetFullPath(manifest), request, items, rejected, warnings);

        return new Plan(items, rejected, ignored, warnings);
    }

    public static void ValidateSourceName(string source)
    {
        if (!SourceNamePattern().IsMatch(source))
            throw new InvalidSettingException(null, "source", $"'{source}' is not a valid source name; expected 1-64 characters of letters, digits, '.', '_' or '-', e.g. staff-phones");
    }

    /// <summary>Parses a given date: ISO 8601 date or date-time, with or without an offset. Returns the
    /// normalised form, keeping exactly the precision and offset that were given.</summary>
    public static string? NormalizeDate(string value)
    {
        value = value.Trim();
        string[] dateOnly = ["yyyy-MM-dd", "yyyy/MM/dd", "yyyy:MM:dd"];
        if (DateOnly.TryParseExact(value, dateOnly, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var hasOffset = value.EndsWith('Z') || OffsetSuffix().IsMatch(value);
        if (hasOffset && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto))
            return dto.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        string[] local = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];
        if (DateTime.TryParseExact(value, local, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt))
            return dt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return null;
    }

    /// <summary>Walks a folder, following symbolic links to folders but entering each folder (by device and
    /// inode) once: a link back up the tree is reported once as a warning and not followed. A folder that
    /// cannot be read is a rejection of that folder; the rest of the walk goes on.</summary>
    private static int AddFolder(string root, IngestRequest request, List<IngestItem> items, List<Rejection> rejected, List<string> warnings, CancellationToken cancellationToken)
    {
        var ignored = 0;
        var files = new List<string>();
        var visited = new Dictionary<FileIdentity, string>();
        var pending = new Stack<string>();
        if (FileIdentity.Of(root) is { } rootId) visited[rootId] = root;
        pending.Push(root);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var dir = pending.Pop();
            string[] subs, dirFiles;
            try
            {
                subs = Directory.GetDirectories(dir);
                Array.Sort(subs, StringComparer.Ordinal);
                dirFiles = Directory.GetFiles(dir);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                rejected.Add(new Rejection(dir, ex is UnauthorizedAccessException ? "folder cannot be read: permission denied" : $"folder cannot be read: {ex.Message}", RejectCode.Unreadable));
                continue;
            }
            foreach (var sub in subs)
            {
                if (Path.GetFileName(sub).StartsWith('.')) continue;
                if (FileIdentity.Of(sub) is { } id)
                {
                    if (visited.TryGetValue(id, out var first))
                    {
                        warnings.Add($"{sub} is a link to {first}, already walked; not followed again (a symbolic link loop or a second path to the same folder)");
                        continue;
                    }
                    visited[id] = sub;
                }
                pending.Push(sub);
            }
            foreach (var file in dirFiles)
            {
                if (Path.GetFileName(file).StartsWith('.')) continue;
                if (ImageExtensions.Contains(Path.GetExtension(file))) files.Add(file);
                else ignored++;
            }
        }
        files.Sort(StringComparer.Ordinal);

        foreach (var file in files)
        {
            var relativeDir = Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Replace('\\', '/');
            var inSubfolder = relativeDir != ".";
            items.Add(new IngestItem
            {
                Path = file,
                Source = request.Source,
                Actor = $"folder:{root}",
                GivenLabel = request.LabelsFromFolders && inSubfolder ? Path.GetFileName(Path.GetDirectoryName(file)) : null,
                GivenSetId = request.SetsFromFolders ? $"{request.Source}:{(inSubfolder ? relativeDir : Path.GetFileName(root))}" : null,
            });
        }
        return ignored;
    }

    private static void AddManifest(string manifest, IngestRequest request, List<IngestItem> items, List<Rejection> rejected, List<string> warnings)
    {
        if (!File.Exists(manifest))
        {
            rejected.Add(new Rejection(manifest, "manifest file does not exist", RejectCode.NotFound));
            return;
        }
        // Rows are streamed; what they give is held back until the end, so that a file found broken
        // half-way (a quote never closed) adds nothing but its own rejection.
        var found = new List<IngestItem>();
        var refused = new List<Rejection>();
        var notes = new List<string>();
        try
        {
            ReadManifest(manifest, request, found, refused, notes);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            rejected.Add(new Rejection(manifest, $"manifest cannot be read as CSV: {ex.Message}", RejectCode.BadManifestRow));
            return;
        }
        items.AddRange(found);
        rejected.AddRange(refused);
        warnings.AddRange(notes);
    }

    private static void ReadManifest(string manifest, IngestRequest request, List<IngestItem> items, List<Rejection> rejected, List<string> warnings)
    {
        using var records = CsvReader.ReadFile(manifest).GetEnumerator();
        if (!records.MoveNext())
        {
            rejected.Add(new Rejection(manifest, $"manifest is empty; expected a header row with columns {string.Join(", ", ManifestColumns)} (only path is required)", RejectCode.BadManifestRow));
            return;
        }

        var header = records.Current.Fields.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        var column = ManifestColumns.ToDictionary(c => c, c => Array.IndexOf(header, c));
        if (column["path"] < 0)
        {
            rejected.Add(new Rejection(manifest, $"manifest has no 'path' column (found: {string.Join(", ", header)}); expected columns: path, and optionally set_id, label, date_taken, source", RejectCode.BadManifestRow));
            return;
        }
        var unknown = header.Where(h => !ManifestColumns.Contains(h)).ToList();
        if (unknown.Count > 0)
            warnings.Add($"{manifest}: columns {string.Join(", ", unknown)} are not used (known: {string.Join(", ", ManifestColumns)})");

        var baseDir = Path.GetDirectoryName(manifest)!;
        while (records.MoveNext())
        {
            var (line, fields) = records.Current;
            string? Get(string name) => column[name] >= 0 && column[name] < fields.Length && fields[column[name]].Trim() is { Length: > 0 } v ? v : null;
            var where = $"{manifest}:{line}";
            var pathValue = Get("path");
            if (pathValue is null)
            {
                rejected.Add(new Rejection(where, "manifest row has an empty path", RejectCode.BadManifestRow));
                continue;
            }
            var path = Path.GetFullPath(Path.Combine(baseDir, pathValue));
            if (!IsConfined(path, baseDir, request.ManifestRoots))
            {
                rejected.Add(new Rejection(path, $"outside the manifest's folder {baseDir} (manifest {where}); a manifest may point only into its own folder or a root given with --manifest-root", RejectCode.Blocked));
                continue;
            }
            if (!File.Exists(path))
            {
                rejected.Add(new Rejection(path, $"file does not exist (manifest {where})", IsDanglingLink(path) ? RejectCode.Unreadable : RejectCode.NotFound));
                continue;
            }
            string? date = null;
            if (Get("date_taken") is { } rawDate && (date = NormalizeDate(rawDate)) is null)
            {
                rejected.Add(new Rejection(path, $"date_taken '{rawDate}' is not a date (manifest {where}); expected ISO 8601 such as 2024-05-01 or 2024-05-01T13:45:00", RejectCode.BadManifestRow));
                continue;
            }
            var source = Get("source") ?? request.Source;
            if (!SourceNamePattern().IsMatch(source))
            {
                rejected.Add(new Rejection(path, $"source '{source}' is not a valid source name (manifest {where}); expected letters, digits, '.', '_' or '-'", RejectCode.BadManifestRow));
                continue;
            }
            items.Add(new IngestItem
            {
                Path = path,
                Source = source,
                Actor = $"manifest:{manifest}",
                GivenSetId = Get("set_id"),
                GivenLabel = Get("label"),
                GivenDateTaken = date,
            });
        }
    }

    /// <summary>Whether <paramref name="path"/>, and the file a link there leads to, lie inside
    /// <paramref name="baseDir"/> or one of <paramref name="roots"/>.</summary>
    public static bool IsConfined(string path, string baseDir, IReadOnlyList<string> roots)
    {
        List<string> allowed = [Real(baseDir), .. roots.Select(r => Real(Path.GetFullPath(r)))];
        bool Inside(string p) => allowed.Any(a => p.StartsWith(a.EndsWith(Path.DirectorySeparatorChar) ? a : a + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        return Inside(Path.GetFullPath(path)) && Inside(Real(path));
    }

    /// <summary>The path with every symbolic link along it resolved (as far as it exists).</summary>
    private static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            try
            {
                var target = new FileInfo(next).LinkTarget is not null ? new FileInfo(next).ResolveLinkTarget(returnFinalTarget: true)?.FullName : null;
                current = target is null ? next : Real(target);
            }
            catch (IOException)
            {
                current = next;
            }
        }
        return current;
    }

    public const string DanglingLinkReason = "unreadable: the path is a link whose target does not exist";

    public static bool IsDanglingLink(string path)
    {
        try
        {
            var info = new FileInfo(path);
            // FileInfo.Exists is true for the link itself even when its target is gone.
            return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true };
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SourceNamePattern();

    [GeneratedRegex(@"[+-]\d{2}:?\d{2}$")]
    private static partial Regex OffsetSuffix();
}
