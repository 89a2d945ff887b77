using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Ingest;
using Skillmaker.Catalog;

namespace Skillmaker.Sources;

/// <summary>One image URL of a list, with what the list says about it.</summary>
public sealed record UrlListEntry(Uri Url, string List, int Line, string? SetId, string? Label, string? DateTaken);

/// <summary>Reads URL lists. Two forms: one URL per line (blank lines and lines starting with # are
/// passed over), or a CSV whose header has a <c>url</c> column and optionally <c>set_id</c>,
/// <c>label</c> and <c>date_taken</c>, as in ingest manifests.</summary>
public static class UrlList
{
    public static readonly IReadOnlyList<string> Columns = ["url", "set_id", "label", "date_taken"];

    public sealed record Parsed(IReadOnlyList<UrlListEntry> Entries, IReadOnlyList<Rejection> Rejected, IReadOnlyList<string> Warnings);

    /// <summary>Reads the lists named <paramref name="files"/>; with <paramref name="contents"/> (a job on a
    /// worker, which cannot see the submitter's files) each list's text is taken from there by its name, and a
    /// name missing from it is a list that did not exist where it was given.</summary>
    public static Parsed Read(IReadOnlyList<string> files, IReadOnlyDictionary<string, string>? contents = null)
    {
        var entries = new List<UrlListEntry>();
        var rejected = new List<Rejection>();
        var warnings = new List<string>();
        foreach (var file in files)
        {
            // A list is streamed; what it gives is held back until its end, so that a list found
            // broken half-way adds nothing but its own rejection.
            var listEntries = new List<UrlListEntry>();
            var listRejected = new List<Rejection>();
            try
            {
                ReadList(file, contents is null ? null : contents.TryGetValue(file, out var text) ? text : throw new FileNotFoundException(file),
                    listEntries, listRejected, warnings);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                rejected.Add(new Rejection(file, ex is FileNotFoundException or DirectoryNotFoundException ? "URL list does not exist" : $"URL list is unreadable: {ex.Message}",
                    ex is FileNotFoundException or DirectoryNotFoundException ? RejectCode.NotFound : RejectCode.Unreadable));
                continue;
            }
            catch (FormatException ex)
            {
                rejected.Add(new Rejection(file, $"URL list cannot be read as CSV: {ex.Message}", RejectCode.BadManifestRow));
                continue;
            }
            entries.AddRange(listEntries);
            rejected.AddRange(listRejected);
        }
        return new Parsed(entries, rejected, warnings);
    }

    private static void ReadList(string file, string? text, List<UrlListEntry> entries, List<Rejection> rejected, List<string> warnings)
    {
        var lines = (text is null ? File.ReadLines(file) : Lines(text)).Select((l, i) => (Line: i + 1, Text: l.Trim().TrimStart('\uFEFF'))).Where(l => l.Text.Length > 0 && !l.Text.StartsWith('#'));
        if (lines.FirstOrDefault() is not { Text: { } first })
        {
            warnings.Add($"{file}: the URL list is empty");
            return;
        }
        var header = CsvReader.Read(new StringReader(first), file).First().Fields.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        if (header.Contains("url")) ReadCsv(file, text, header, entries, rejected, warnings);
        else
            foreach (var (line, value) in lines)
                Add(file, line, value, null, null, null, entries, rejected);
    }

    private static IEnumerable<string> Lines(string text)
    {
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line) yield return line;
    }

    private static void ReadCsv(string file, string? text, string[] header, List<UrlListEntry> entries, List<Rejection> rejected, List<string> warnings)
    {
        var column = Columns.ToDictionary(c => c, c => Array.IndexOf(header, c));
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        if (unknown.Count > 0) warnings.Add($"{file}: columns {string.Join(", ", unknown)} are not used (known: {string.Join(", ", Columns)})");
        foreach (var (line, fields) in (text is null ? CsvReader.ReadFile(file) : CsvReader.Read(new StringReader(text), file)).SkipWhile(r => r.Fields.Length == 0 || r.Fields[0].TrimStart().StartsWith('#')).Skip(1))
        {
            string? Get(string name) => column[name] >= 0 && column[name] < fields.Length && fields[column[name]].Trim() is { Length: > 0 } v ? v : null;
            if (fields.Length == 0 || fields[0].TrimStart().StartsWith('#') || Get("url") is not { } url) continue;
            string? date = null;
            if (Get("date_taken") is { } rawDate && (date = IngestPlanner.NormalizeDate(rawDate)) is null)
            {
                rejected.Add(new Rejection(url, $"date_taken '{rawDate}' is not a date ({file}:{line}); expected ISO 8601 such as 2024-05-01", RejectCode.BadManifestRow));
                continue;
            }
            Add(file, line, url, Get("set_id"), Get("label"), date, entries, rejected);
        }
    }

    private static void Add(string file, int line, string value, string? setId, string? label, string? date, List<UrlListEntry> entries, List<Rejection> rejected)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var url) && PageText.Resolve(url, value) is { } clean)
            entries.Add(new UrlListEntry(clean, file, line, setId, label, date));
        else
            rejected.Add(new Rejection($"{file}:{line}", $"'{Shorten(value)}' is not an http(s) URL; expected e.g. https://cars.example/photos/1.jpg", RejectCode.BadManifestRow));
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";
}
