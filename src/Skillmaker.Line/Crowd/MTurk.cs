using System.Globalization;
using System.Net;
using System.Text;
using Skillmaker.Common;

namespace Skillmaker.Crowd;

/// <summary>Mechanical Turk batch files, without calling MTurk: a batch input CSV with signed image
/// links plus the HTML question layout to paste into the requester UI, and the batch results CSV
/// read back in.</summary>
public static class MTurk
{
    public const string TaskIdColumn = "task_id";
    public const string ImageUrlColumn = "image_url";
    public static readonly IReadOnlyList<string> RequiredResultColumns =
        ["AssignmentId", "WorkerId", "WorkTimeInSeconds", $"Input.{TaskIdColumn}", "Answer.content", "Answer.quality"];

    public static string InputCsv(IEnumerable<(string TaskId, string ImageUrl)> rows)
    {
        var sb = new StringBuilder().Append(TaskIdColumn).Append(',').Append(ImageUrlColumn).Append("\r\n");
        foreach (var (id, url) in rows) sb.Append(CsvReader.Escape(id)).Append(',').Append(CsvReader.Escape(url)).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>The HIT layout: the same two plain questions as the web page; MTurk fills ${image_url}
    /// and returns each radio group as an Answer.* column.</summary>
    public static string QuestionLayout()
    {
        static string Group(string name, IEnumerable<AnswerOption> options) => string.Concat(options.Select(o =>
            $"""      <label><input type="radio" name="{name}" value="{o.Value}" required> {WebUtility.HtmlEncode(o.Text)}</label><br>{"\n"}"""));
        return $$"""
            <!-- Skillmaker crowd task. Paste into the MTurk requester "Design layout" source view. -->
            <crowd-form>
              <p><img src="${image_url}" alt="Photo crop to describe" style="max-width:480px;max-height:480px"></p>
              <input type="hidden" name="task_id" value="${task_id}">
              <fieldset><legend><b>1. What does the picture show?</b></legend>
            {{Group("content", CrowdQuestions.Content)}}  </fieldset>
              <fieldset><legend><b>2. How good is the picture?</b></legend>
            {{Group("quality", CrowdQuestions.Quality)}}  </fieldset>
            </crowd-form>

            """;
    }

    /// <summary>Reads a batch results CSV. Every problem is collected (with its line) and reported at
    /// once; nothing is returned unless the whole file is valid. Rows MTurk marks Rejected are left out.</summary>
    public static IReadOnlyList<CrowdAnswer> ReadResults(TextReader reader, string fileName, ISet<long> knownTaskIds, DateTimeOffset importedAt)
    {
        using var records = CsvReader.Read(reader, fileName).GetEnumerator();
        if (!NextRecord(records)) throw new SkillmakerException($"{fileName} is empty; expected an MTurk batch results CSV with a header row.");
        var header = records.Current.Fields.Select((name, i) => (name: name.Trim(), i)).GroupBy(h => h.name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        var missing = RequiredResultColumns.Where(c => !header.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new SkillmakerException($"{fileName}: missing column(s) {string.Join(", ", missing)}; an MTurk batch results file needs {string.Join(", ", RequiredResultColumns)}.");
        header.TryGetValue("AssignmentStatus", out var statusColumn);
        var hasStatus = header.ContainsKey("AssignmentStatus");

        var errors = new List<string>();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        var answers = new List<CrowdAnswer>();
        while (NextRecord(records))
        {
            var (line, fields) = records.Current;
            string Get(string column) => header[column] < fields.Length ? fields[header[column]].Trim() : "";
            if (hasStatus && fields.Length > statusColumn && fields[statusColumn].Trim().Equals("Rejected", StringComparison.OrdinalIgnoreCase)) continue;
            var where = $"{fileName} line {line}";
            try
            {
                var taskText = Get($"Input.{TaskIdColumn}");
                var taskId = CrowdTask.ParsePublicId(taskText);
                if (!knownTaskIds.Contains(taskId)) { unknown.Add(taskText); continue; }
                var worker = Get("WorkerId");
                if (worker.Length == 0) throw new SkillmakerException($"{where}: WorkerId is empty.");
                var assignment = Get("AssignmentId");
                if (assignment.Length == 0) throw new SkillmakerException($"{where}: AssignmentId is empty.");
                var secondsText = Get("WorkTimeInSeconds");
                double? seconds = secondsText.Length == 0 ? null
                    : double.TryParse(secondsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? s
                    : throw new SkillmakerException($"{where}: WorkTimeInSeconds '{secondsText}' is not a number of seconds.");
                answers.Add(new CrowdAnswer
                {
                    TaskId = taskId, Worker = $"mturk:{worker}",
                    Content = CrowdQuestions.ValidateContent(Get("Answer.content"), where),
                    Quality = CrowdQuestions.ValidateQuality(Get("Answer.quality"), where),
                    Seconds = seconds, Channel = "mturk", ExternalId = $"mturk:{assignment}", AnsweredAt = importedAt,
                });
            }
            catch (Exception ex) when (ex is SkillmakerException or FormatException)
            {
                errors.Add(ex is FormatException ? $"{where}: {ex.Message}" : ex.Message);
            }
        }
        if (unknown.Count > 0)
            errors.Insert(0, $"{fileName}: unknown task id(s) {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : "")}; expected ids from `skillmaker crowd export` of this workspace.");
        if (errors.Count > 0)
            throw new SkillmakerException($"Nothing was imported. {string.Join(" ", errors.Take(10))}{(errors.Count > 10 ? $" ({errors.Count - 10} more problems)" : "")}");
        return answers;
    }

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
}
