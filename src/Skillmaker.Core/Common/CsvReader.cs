using Csv = CsvHelper;

namespace Skillmaker.Common;

/// <summary>RFC 4180 CSV through CsvHelper: quoted fields, doubled quotes, commas and line breaks inside
/// quotes, CRLF or LF, optional UTF-8 BOM. Records are read one at a time, so a large file is never
/// held in memory whole.</summary>
public static class CsvReader
{
    /// <summary>Reads the records of a file lazily; the file is open while the records are enumerated.
    /// Each record keeps the 1-based line it started on. Empty lines are passed over.</summary>
    /// <exception cref="FormatException">A quoted field is never closed; the message names the file and line.</exception>
    public static IEnumerable<(int Line, string[] Fields)> ReadFile(string path)
    {
        // The stream overload honours a byte order mark (UTF-8, UTF-16) and reads UTF-8 without copying.
        using var csv = Csv.CsvReader.Create(File.OpenRead(path), Options(path));
        foreach (var record in Records(csv)) yield return record;
    }

    /// <summary>Reads the records of <paramref name="reader"/> lazily; <paramref name="source"/> names
    /// the input in errors (a file name).</summary>
    /// <exception cref="FormatException">A quoted field is never closed; the message names the source and line.</exception>
    public static IEnumerable<(int Line, string[] Fields)> Read(TextReader reader, string source)
    {
        // Text already decoded may still start with the BOM character (a string or a reader that kept it).
        if (reader.Peek() == '\uFEFF') reader.Read();
        using var csv = Csv.CsvReader.Create(reader, Options(source), leaveOpen: true);
        foreach (var record in Records(csv)) yield return record;
    }

    public static string Escape(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static IEnumerable<(int Line, string[] Fields)> Records(Csv.CsvReader csv)
    {
        while (csv.Read())
        {
            var fields = csv.Current.ToArray();
            // A line holding only "" is as empty as a blank line.
            if (fields is [{ Length: 0 }]) continue;
            yield return (checked((int)csv.LineNumber), fields);
        }
    }

    private static Csv.CsvReaderOptions Options(string source) => Csv.CsvReaderOptions.Default with
    {
        HasHeader = false, // callers read the header as the first record, with its line
        Separator = ',',
        DetectSeparatorHint = false,
        TrackLineNumbers = true,
        // A stray quote inside an unquoted field is kept as text (12" wheel.jpg), as before; only a
        // quote that is never closed, which would swallow the rest of the file, is an error.
        MalformedData = Csv.CsvMalformedDataHandling.Recover,
        OnMalformedRecord = record =>
        {
            if (record.Reason == Csv.CsvMalformedReason.UnterminatedQuote)
                throw new FormatException($"{source} line {record.LineNumber}: a quoted field is never closed; expected a closing quote (\") before the end of the file.");
        },
    };
}
