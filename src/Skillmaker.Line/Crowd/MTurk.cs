using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skillmaker.Common;

namespace Skillmaker.Crowd;

/// <summary>One row of a results file that was read: the answer it carries, or why it was left out.</summary>
public sealed record MTurkResultRow(int Line, string AssignmentId, string WorkerId, string TaskId, CrowdAnswer? Answer, string? LeftOut);

/// <summary>Mechanical Turk batch files, without calling MTurk: a batch input CSV with signed image
/// links plus the HTML question layout (Crowd HTML Elements) to paste into the requester UI, and the
/// batch results CSV read back in, in any of the shapes MTurk writes.</summary>
public static partial class MTurk
{
    public const string TaskIdColumn = "task_id";
    public const string ImageUrlColumn = "image_url";
    /// <summary>The Crowd HTML Elements library: it defines &lt;crowd-form&gt;, which posts the answers back to
    /// MTurk and adds the Submit button. Without it the worker sees no way to submit.</summary>
    public const string CrowdElementsScript = "https://assets.crowd.aws/crowd-html-elements.js";
    public static readonly IReadOnlyList<string> RequiredResultColumns = ["AssignmentId", "WorkerId", $"Input.{TaskIdColumn}"];

    public static string InputCsv(IEnumerable<(string TaskId, string ImageUrl)> rows)
    {
        var sb = new StringBuilder().Append(TaskIdColumn).Append(',').Append(ImageUrlColumn).Append("\r\n");
        foreach (var (id, url) in rows) sb.Append(CsvReader.Escape(id)).Append(',').Append(CsvReader.Escape(url)).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>The HIT layout: the same two plain questions as the web page. MTurk fills ${image_url} and
    /// ${task_id}; &lt;crowd-form&gt; returns the radio groups as <c>Answer.taskAnswers</c> JSON (or one
    /// true/false column per option with answer-format="flatten-objects").</summary>
    public static string QuestionLayout()
    {
        static string Group(string name, IEnumerable<AnswerOption> options) => string.Concat(options.Select(o =>
            $"""      <label><input type="radio" name="{name}" value="{o.Value}" required> {WebUtility.HtmlEncode(o.Text)}</label><br>{"\n"}"""));
        return $$"""
            <!-- Skillmaker crowd task. Paste into the MTurk requester "Design layout" source view. -->
            <script src="{{CrowdElementsScript}}"></script>
            <crowd-form answer-format="flatten-objects">
              <p><img src="${image_url}" alt="Photo crop to describe" style="max-width:480px;max-height:480px"></p>
              <input type="hidden" name="task_id" value="${task_id}">
              <fieldset><legend><b>1. What does the picture show?</b></legend>
            {{Group("content", CrowdQuestions.Content)}}  </fieldset>
              <fieldset><legend><b>2. How good is the picture?</b></legend>
            {{Group("quality", CrowdQuestions.Quality)}}  </fieldset>
            </crowd-form>

            """;
    }

    /// <summary>Decodes a results file's bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything
    /// else is refused naming the byte where decoding failed.</summary>
    public static string Decode(byte[] bytes, string fileName)
    {
        if (bytes is [0xFF, 0xFE, ..]) return Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2);
        if (bytes is [0xFE, 0xFF, ..]) return Encoding.BigEndianUnicode.GetString(bytes, 2, bytes.Length - 2);
        try
        {
            var start = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SkillmakerException($"Nothing was imported. {fileName} is not UTF-8 text (bad byte at offset {ex.Index}); " +
                "expected the batch results CSV as MTurk writes it (UTF-8). Re-save it as UTF-8 CSV.");
        }
    }

    /// <summary>Reads a batch results CSV: MTurk's full layout (HITId, HITTypeId, AssignmentId, WorkerId,
    /// AssignmentStatus, AcceptTime, SubmitTime, WorkTimeInSeconds, Input.*, Answer.*) with the answers
    /// as <c>Answer.taskAnswers</c> JSON, as flattened per-option columns (<c>Answer.content.exterior</c>
    /// true/false), or as plain <c>Answer.content</c>/<c>Answer.quality</c> values. Every problem is
    /// collected with its line and reported at once; nothing is returned unless the whole file is valid.
    /// Rows MTurk marks Rejected are returned as left out.</summary>
    public static IReadOnlyList<MTurkResultRow> ReadResults(TextReader reader, string fileName, ISet<long> knownTaskIds, DateTimeOffset importedAt)
    {
        using var records = CsvReader.Read(reader, fileName).GetEnumerator();
        if (!NextRecord(records)) throw new SkillmakerException($"Nothing was imported. {fileName} is empty; expected an MTurk batch results CSV with a header row.");
        var names = records.Current.Fields.Select(n => n.Trim()).ToArray();
        if (names.Length == 1 && names[0].IndexOfAny([';', '\t', '|']) >= 0)
            throw new SkillmakerException($"Nothing was imported. {fileName} is separated by '{(names[0].Contains(';') ? ";" : names[0].Contains('\t') ? "\\t" : "|")}', not by commas; " +
                "expected the batch results CSV as MTurk writes it (comma-separated). A spreadsheet program may have re-saved it with another separator.");
        var header = names.Select((name, i) => (name, i)).GroupBy(h => h.name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        var missing = RequiredResultColumns.Where(c => !header.ContainsKey(c)).ToList();
        var shape = AnswerShape.Detect(header, fileName);
        if (shape is null) missing.Add("Answer.taskAnswers (or Answer.content.<option> columns, or Answer.content and Answer.quality)");
        if (missing.Count > 0)
            throw new SkillmakerException($"Nothing was imported. {fileName}: missing column(s) {string.Join(", ", missing)}; an MTurk batch results file needs {string.Join(", ", RequiredResultColumns)} and the answers.");

        var errors = new List<string>();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        var assignments = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new List<MTurkResultRow>();
        while (NextRecord(records))
        {
            var (line, fields) = records.Current;
            string Get(string column) => header.TryGetValue(column, out var i) && i < fields.Length ? fields[i].Trim() : "";
            var where = $"{fileName} line {line}";
            var assignment = Get("AssignmentId");
            var worker = Get("WorkerId");
            var taskText = Get($"Input.{TaskIdColumn}");
            try
            {
                if (assignment.Length == 0) throw new SkillmakerException($"{where}: AssignmentId is empty.");
                if (assignments.TryGetValue(assignment, out var first))
                    throw new SkillmakerException($"{where}: assignment {assignment} appears twice (first on line {first}); an MTurk assignment is one worker's one answer.");
                assignments[assignment] = line;
                if (!WorkerIdPattern().IsMatch(worker))
                    throw new SkillmakerException($"{where}: unknown worker '{worker}'; expected an MTurk WorkerId (letters and digits, e.g. A1B2C3D4E5F6G7).");
                var taskId = CrowdTask.ParsePublicId(taskText);
                if (!knownTaskIds.Contains(taskId)) { unknown.Add(taskText); continue; }
                if (Get("AssignmentStatus").Equals("Rejected", StringComparison.OrdinalIgnoreCase))
                {
                    rows.Add(new MTurkResultRow(line, assignment, worker, taskText, null, "rejected on MTurk"));
                    continue;
                }
                var secondsText = Get("WorkTimeInSeconds");
                double? seconds = secondsText.Length == 0 ? null
                    : double.TryParse(secondsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? s
                    : throw new SkillmakerException($"{where}: WorkTimeInSeconds '{secondsText}' is not a number of seconds.");
                var (content, quality) = shape!.Read(Get, where);
                rows.Add(new MTurkResultRow(line, assignment, worker, taskText, new CrowdAnswer
                {
                    TaskId = taskId, Worker = $"mturk:{worker}", Content = content, Quality = quality,
                    Seconds = seconds, Channel = "mturk", ExternalId = $"mturk:{assignment}", AnsweredAt = importedAt,
                }, null));
            }
            catch (Exception ex) when (ex is SkillmakerException or FormatException)
            {
                errors.Add(ex is FormatException ? $"{where}: {ex.Message}" : ex.Message);
            }
        }
        if (unknown.Count > 0)
            errors.Insert(0, $"{fileName}: unknown task id(s) {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : "")}; expected ids from `skillmaker crowd export` of this workspace.");
        if (errors.Count > 0)
            throw new SkillmakerException($"Nothing was imported. {string.Join(" ", errors.Take(20))}{(errors.Count > 20 ? $" ({errors.Count - 20} more problems)" : "")}");
        return rows;
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$")]
    private static partial Regex WorkerIdPattern();

    /// <summary>The next record; a quote never closed is a user's error that names the file and line.</summary>
    private static bool NextRecord(IEnumerator<(int Line, string[] Fields)> records)
    {
        try
        {
            return records.MoveNext();
        }
        catch (FormatException ex)
        {
            throw new SkillmakerException($"Nothing was imported. {ex.Message}");
        }
    }

    /// <summary>Where a results file keeps the two answers.</summary>
    private abstract class AnswerShape
    {
        public abstract (string Content, string Quality) Read(Func<string, string> get, string where);

        public static AnswerShape? Detect(IReadOnlyDictionary<string, int> header, string fileName)
        {
            if (header.ContainsKey("Answer.taskAnswers")) return new Json();
            var flat = header.Keys.Where(k => k.StartsWith("Answer.content.", StringComparison.Ordinal) || k.StartsWith("Answer.quality.", StringComparison.Ordinal)).ToList();
            if (flat.Count > 0)
            {
                var bad = flat.Where(k => k.StartsWith("Answer.content.", StringComparison.Ordinal)
                    ? !CrowdQuestions.IsContent(k["Answer.content.".Length..]) : !CrowdQuestions.IsQuality(k["Answer.quality.".Length..])).ToList();
                if (bad.Count > 0)
                    throw new SkillmakerException($"Nothing was imported. {fileName}: column(s) {string.Join(", ", bad)} name no answer option; expected Answer.content.<{string.Join("|", CrowdQuestions.Content.Select(o => o.Value))}> and Answer.quality.<{string.Join("|", CrowdQuestions.Quality.Select(o => o.Value))}> (the layout of `crowd export`).");
                return new Flattened(flat);
            }
            return header.ContainsKey("Answer.content") && header.ContainsKey("Answer.quality") ? new Simple() : null;
        }

        private sealed class Simple : AnswerShape
        {
            public override (string, string) Read(Func<string, string> get, string where) =>
                (CrowdQuestions.ValidateContent(get("Answer.content"), where), CrowdQuestions.ValidateQuality(get("Answer.quality"), where));
        }

        /// <summary>answer-format="flatten-objects": Answer.content.exterior = true, the others false.</summary>
        private sealed class Flattened(IReadOnlyList<string> columns) : AnswerShape
        {
            public override (string, string) Read(Func<string, string> get, string where) => (Pick("content", get, where), Pick("quality", get, where));

            private string Pick(string question, Func<string, string> get, string where)
            {
                var prefix = $"Answer.{question}.";
                var chosen = new List<string>();
                foreach (var column in columns.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    var value = get(column);
                    if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) chosen.Add(column[prefix.Length..]);
                    else if (value.Length > 0 && !value.Equals("false", StringComparison.OrdinalIgnoreCase))
                        throw new SkillmakerException($"{where}: {column} is '{value}'; expected true or false.");
                }
                return chosen.Count == 1 ? chosen[0]
                    : throw new SkillmakerException($"{where}: {(chosen.Count == 0 ? "no" : string.Join(" and ", chosen))} {question} option{(chosen.Count == 0 ? "" : "s")} chosen; expected exactly one Answer.{question}.* column to be true.");
            }
        }

        /// <summary>Answer.taskAnswers: a JSON array with one object, e.g. [{"content":{"exterior":true,
        /// "interior":false,…},"quality":{"good":true,…},"task_id":"T1"}]; a plain string value
        /// ("content":"exterior") is taken too.</summary>
        private sealed class Json : AnswerShape
        {
            public override (string, string) Read(Func<string, string> get, string where)
            {
                JsonElement answer;
                try
                {
                    using var doc = JsonDocument.Parse(get("Answer.taskAnswers"));
                    answer = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() == 1 ? doc.RootElement[0].Clone()
                        : doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone()
                        : throw new SkillmakerException($"{where}: Answer.taskAnswers is not a JSON array with one answer object.");
                }
                catch (JsonException ex)
                {
                    throw new SkillmakerException($"{where}: Answer.taskAnswers is not JSON ({ex.Message}).");
                }
                return (CrowdQuestions.ValidateContent(Pick(answer, "content", where), where), CrowdQuestions.ValidateQuality(Pick(answer, "quality", where), where));
            }

            private static string Pick(JsonElement answer, string question, string where)
            {
                if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty(question, out var value))
                    throw new SkillmakerException($"{where}: Answer.taskAnswers has no \"{question}\" answer.");
                if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
                if (value.ValueKind != JsonValueKind.Object) throw new SkillmakerException($"{where}: \"{question}\" in Answer.taskAnswers is neither an option name nor an object of options.");
                var chosen = value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.True).Select(p => p.Name).ToList();
                return chosen.Count == 1 ? chosen[0]
                    : throw new SkillmakerException($"{where}: {(chosen.Count == 0 ? "no" : string.Join(" and ", chosen))} {question} option{(chosen.Count == 0 ? "" : "s")} chosen in Answer.taskAnswers; expected exactly one.");
            }
        }
    }
}
