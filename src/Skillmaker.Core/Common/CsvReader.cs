using System.Text;

namespace Skillmaker.Common;

/// <summary>RFC 4180 CSV: quoted fields, doubled quotes, commas and line breaks inside quotes, CRLF or
/// LF, optional UTF-8 BOM. Small on purpose: manifests and crowd result files, not big data.</summary>
public static class CsvReader
{
    /// <summary>Reads all records. Each record keeps the 1-based line number it started on.</summary>
    public static IReadOnlyList<(int Line, string[] Fields)> ReadAll(TextReader reader)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var line = 1;
        var recordLine = 1;
        var fieldStarted = false;
        if (reader.Peek() == '\uFEFF') reader.Read();
        int c;
        while ((c = reader.Read()) != -1)
        {
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else inQuotes = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0:
                    inQuotes = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }
        if (inQuotes) throw new FormatException($"line {recordLine}: a quoted field is never closed.");
        EndRecord();
        return records;

        void EndRecord()
        {
            if (fieldStarted || fields.Count > 0 || field.Length > 0)
            {
                fields.Add(field.ToString());
                var record = fields.ToArray();
                if (!(record.Length == 1 && record[0].Length == 0)) records.Add((recordLine, record));
            }
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }

    public static string Escape(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
