using System.Text;
using Skillmaker.Crowd;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Crowd;

/// <summary>The MTurk round trip in MTurk's own formats. The result files below follow the batch results
/// CSV MTurk's requester UI writes ("Download CSV" of a batch): the HIT and assignment columns (HITId,
/// HITTypeId, Title, …, AssignmentId, WorkerId, AssignmentStatus, AcceptTime, SubmitTime,
/// AutoApprovalTime, ApprovalTime, RejectionTime, RequesterFeedback, WorkTimeInSeconds, approval rates),
/// then Input.* (the input CSV's columns), then Answer.*: with &lt;crowd-form&gt; the answers come as one
/// JSON column Answer.taskAnswers, or with answer-format="flatten-objects" as one true/false column per
/// option (docs.aws.amazon.com, AWSMechTurk requester guide "Retrieving results" and "Crowd HTML
/// Elements"; SageMaker Ground Truth "crowd-radio-group" output). Dates are in MTurk's
/// "Thu Oct 09 07:30:20 PDT 2025" form.</summary>
public class MTurkFormatTests
{
    private const string HitColumns = "HITId,HITTypeId,Title,Description,Keywords,Reward,CreationTime,MaxAssignments,RequesterAnnotation,AssignmentDurationInSeconds,AutoApprovalDelayInSeconds,Expiration,NumberOfSimilarHITs,LifetimeInSeconds,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,SubmitTime,AutoApprovalTime,ApprovalTime,RejectionTime,RequesterFeedback,WorkTimeInSeconds,LifetimeApprovalRate,Last30DaysApprovalRate,Last7DaysApprovalRate,Input.task_id,Input.image_url";

    private static string HitValues(string hit, string assignment, string worker, string status, int seconds, string task) =>
        $"{hit},3X9TYPE0EXAMPLE,Describe a car photo,Two questions about one photo,car photo,$0.05,Thu Oct 09 07:30:20 PDT 2025,3,BatchId:5123456;,3600,259200,Sun Oct 12 07:30:20 PDT 2025,,259200," +
        $"{assignment},{worker},{status},Thu Oct 09 08:00:00 PDT 2025,Thu Oct 09 08:00:{seconds:D2} PDT 2025,Sun Oct 12 08:00:{seconds:D2} PDT 2025,,,,{seconds},0% (0/0),0% (0/0),0% (0/0),{task},https://labels.example.com/img/crop/x";

    private static string TaskAnswers(string content, string quality)
    {
        string Options(IEnumerable<AnswerOption> options, string chosen) => string.Join(",", options.Select(o => $"\"\"{o.Value}\"\":{(o.Value == chosen ? "true" : "false")}"));
        return $"\"[{{\"\"content\"\":{{{Options(CrowdQuestions.Content, content)}}},\"\"quality\"\":{{{Options(CrowdQuestions.Quality, quality)}}},\"\"task_id\"\":\"\"x\"\"}}]\"";
    }

    private static string FlatHeader =>
        string.Join(",", CrowdQuestions.Content.Select(o => $"Answer.content.{o.Value}").Concat(CrowdQuestions.Quality.Select(o => $"Answer.quality.{o.Value}")).Append("Answer.task_id"));

    private static string Flat(string content, string quality) =>
        string.Join(",", CrowdQuestions.Content.Select(o => o.Value == content ? "true" : "false").Concat(CrowdQuestions.Quality.Select(o => o.Value == quality ? "true" : "false")).Append("x"));

    private static async Task<(TestWorkspace Ws, List<string> Ids)> QueuedAsync(int crops, int overlap)
    {
        var ws = await TestWorkspace.CreateAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: crops);
        Assert.Equal(0, (await CliRunner.RunAsync(ws.Root, "crowd", "queue", "--overlap", overlap.ToString(), "--json")).ExitCode);
        var tasks = await WorkspaceStorage.CrowdStore(ws.Catalog).GetTasksAsync(null, true, CancellationToken.None);
        return (ws, tasks.Select(t => t.PublicId).ToList());
    }

    [Fact]
    public async Task Import_TaskAnswersJsonAndFlattenedColumns_BothRecorded()
    {
        var (ws, ids) = await QueuedAsync(crops: 2, overlap: 3);
        await using var _ = ws;
        var json = ws.Scratch.File("Batch_5123456_batch_results.csv");
        await File.WriteAllTextAsync(json, $"{HitColumns},Answer.taskAnswers,Approve,Reject\r\n" +
            $"{HitValues("3HIT0001", "3ASSIGN0001", "A1EXAMPLEW1", "Submitted", 14, ids[0])},{TaskAnswers("exterior", "good")},,\r\n" +
            $"{HitValues("3HIT0001", "3ASSIGN0002", "A2EXAMPLEW2", "Approved", 21, ids[0])},{TaskAnswers("close-up", "blurry")},,\r\n");
        var flat = ws.Scratch.File("Batch_5123457_batch_results.csv");
        await File.WriteAllTextAsync(flat, $"{HitColumns},{FlatHeader},Approve,Reject\r\n" +
            $"{HitValues("3HIT0002", "3ASSIGN0003", "A1EXAMPLEW1", "Submitted", 9, ids[1])},{Flat("wheel", "low-resolution")},,\r\n");

        var a = await CliRunner.RunAsync(ws.Root, "crowd", "import", json, "--json");
        var b = await CliRunner.RunAsync(ws.Root, "crowd", "import", flat, "--json");
        Assert.True(a.ExitCode == 0, a.Error);
        Assert.True(b.ExitCode == 0, b.Error);
        Assert.Equal(2, a.Json.GetProperty("recorded").GetInt32());
        Assert.Equal(1, b.Json.GetProperty("recorded").GetInt32());
        var answers = await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None);
        Assert.Equal(
            [("mturk:A1EXAMPLEW1", "exterior", "good", 14.0), ("mturk:A2EXAMPLEW2", "close-up", "blurry", 21.0), ("mturk:A1EXAMPLEW1", "wheel", "low-resolution", 9.0)],
            answers.Select(x => (x.Worker, x.Content, x.Quality, x.Seconds!.Value)).ToList());
    }

    [Fact]
    public async Task Import_BeyondOverlapAndAfterConsolidation_RefusedPerRowNotDropped()
    {
        var (ws, ids) = await QueuedAsync(crops: 2, overlap: 2);
        await using var _ = ws;
        var first = ws.Scratch.File("first.csv");
        await File.WriteAllTextAsync(first, $"{HitColumns},Answer.taskAnswers\r\n" +
            $"{HitValues("H1", "AS1", "W1", "Submitted", 10, ids[0])},{TaskAnswers("exterior", "good")}\r\n" +
            $"{HitValues("H1", "AS2", "W2", "Submitted", 10, ids[0])},{TaskAnswers("exterior", "good")}\r\n" +
            $"{HitValues("H1", "AS3", "W3", "Submitted", 10, ids[0])},{TaskAnswers("wheel", "good")}\r\n");
        var imported = await CliRunner.RunAsync(ws.Root, "crowd", "import", first, "--json");
        Assert.Equal((2, 1), (imported.Json.GetProperty("recorded").GetInt32(), imported.Json.GetProperty("refused").GetInt32()));
        var row = Assert.Single(imported.Json.GetProperty("rows").EnumerateArray());
        Assert.Equal((4, "refused"), (row.GetProperty("line").GetInt32(), row.GetProperty("outcome").GetString()));
        Assert.Contains("overlap", row.GetProperty("reason").GetString());

        Assert.Equal(0, (await CliRunner.RunAsync(ws.Root, "crowd", "consolidate", "--json")).ExitCode);
        var late = ws.Scratch.File("late.csv");
        await File.WriteAllTextAsync(late, $"{HitColumns},Answer.taskAnswers\r\n" +
            $"{HitValues("H1", "AS9", "W9", "Submitted", 10, ids[0])},{TaskAnswers("wheel", "good")}\r\n" +
            $"{HitValues("H2", "AS10", "W9", "Submitted", 10, ids[1])},{TaskAnswers("wheel", "good")}\r\n");
        var text = await CliRunner.RunAsync(ws.Root, "crowd", "import", late);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"line 2: assignment AS9 by W9 on {ids[0]}: refused, {ids[0]} was already consolidated", text.Out);
        Assert.Equal(3, (await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None)).Count);
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "unknown worker", $"{HitColumns},Answer.taskAnswers\r\n{{ok}}\r\n{HitValues("H1", "AS2", "w 2", "Submitted", 10, "{task}")},{TaskAnswers("exterior", "good")}\r\n", "line 3: unknown worker 'w 2'" },
        { "unknown task", $"{HitColumns},Answer.taskAnswers\r\n{{ok}}\r\n{HitValues("H1", "AS2", "W2", "Submitted", 10, "T999")},{TaskAnswers("exterior", "good")}\r\n", "unknown task id(s) T999" },
        { "bad option in JSON", $"{HitColumns},Answer.taskAnswers\r\n{{ok}}\r\n{HitValues("H1", "AS2", "W2", "Submitted", 10, "{task}")},\"[{{\"\"content\"\":{{\"\"extrior\"\":true}},\"\"quality\"\":{{\"\"good\"\":true}}}}]\"\r\n", "line 3: content 'extrior' is not an answer" },
        { "bad option column", $"{HitColumns},Answer.content.extrior,Answer.quality.good\r\n{HitValues("H1", "AS2", "W2", "Submitted", 10, "{task}")},true,true\r\n", "Answer.content.extrior name no answer option" },
        { "duplicate assignment", $"{HitColumns},Answer.taskAnswers\r\n{{ok}}\r\n{HitValues("H1", "AS1", "W2", "Submitted", 10, "{task}")},{TaskAnswers("exterior", "good")}\r\n", "line 3: assignment AS1 appears twice (first on line 2)" },
        { "semicolons", $"{HitColumns.Replace(',', ';')};Answer.taskAnswers\r\nH1;x\r\n", "is separated by ';', not by commas" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Import_BadFile_NothingWrittenAndTheRowNamed(string problem, string csv, string expected)
    {
        var (ws, ids) = await QueuedAsync(crops: 1, overlap: 3);
        await using var _ = ws;
        var ok = $"{HitValues("H1", "AS1", "W1", "Submitted", 10, ids[0])},{TaskAnswers("exterior", "good")}";
        var file = ws.Scratch.File($"{problem.Replace(' ', '-')}.csv");
        await File.WriteAllTextAsync(file, csv.Replace("{ok}", ok).Replace("{task}", ids[0]));
        var result = await CliRunner.RunAsync(ws.Root, "crowd", "import", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Nothing was imported", result.Error);
        Assert.Contains(expected, result.Error);
        Assert.Empty(await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Import_Latin1File_RefusedAsNotUtf8()
    {
        var (ws, ids) = await QueuedAsync(crops: 1, overlap: 3);
        await using var _ = ws;
        var file = ws.Scratch.File("latin1.csv");
        var csv = $"{HitColumns},Answer.taskAnswers,RequesterFeedback2\r\n{HitValues("H1", "AS1", "W1", "Submitted", 10, ids[0])},{TaskAnswers("exterior", "good")},très bien\r\n";
        await File.WriteAllBytesAsync(file, Encoding.Latin1.GetBytes(csv));
        var result = await CliRunner.RunAsync(ws.Root, "crowd", "import", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not UTF-8 text", result.Error);
        Assert.Empty(await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Export_AnsweredTasksSkippedAndAssignmentsAreWhatIsStillNeeded()
    {
        var (ws, ids) = await QueuedAsync(crops: 3, overlap: 3);
        await using var _ = ws;
        var results = ws.Scratch.File("results.csv");
        await File.WriteAllTextAsync(results, $"{HitColumns},Answer.taskAnswers\r\n" +
            string.Concat(new[] { "W1", "W2", "W3" }.Select((w, i) => $"{HitValues("H1", $"AS{i}", w, "Submitted", 10, ids[0])},{TaskAnswers("exterior", "good")}\r\n")) +
            $"{HitValues("H2", "AS9", "W1", "Submitted", 10, ids[1])},{TaskAnswers("exterior", "good")}\r\n");
        Assert.Equal(0, (await CliRunner.RunAsync(ws.Root, "crowd", "import", results)).ExitCode);

        var dir = Path.GetDirectoryName(ws.Scratch.File("batch/x"))!;
        var export = await CliRunner.RunAsync(ws.Root, "crowd", "export", "--format", "mturk", "--out", dir, "--base-url", "https://labels.example.com", "--json");
        Assert.True(export.ExitCode == 0, export.Error);
        Assert.Equal((2, 1), (export.Json.GetProperty("tasks").GetInt32(), export.Json.GetProperty("skipped").GetInt32()));
        var files = export.Json.GetProperty("files").EnumerateArray().Select(f => (Path.GetFileName(f.GetProperty("inputCsv").GetString()), f.GetProperty("assignments").GetInt32())).ToList();
        Assert.Equal([("input-3-assignments.csv", 3), ("input-2-assignments.csv", 2)], files);
        Assert.Equal(ids[2], (await File.ReadAllLinesAsync(Path.Combine(dir, "input-3-assignments.csv")))[1].Split(',')[0]);
        Assert.Equal(ids[1], (await File.ReadAllLinesAsync(Path.Combine(dir, "input-2-assignments.csv")))[1].Split(',')[0]);

        var layout = await File.ReadAllTextAsync(Path.Combine(dir, "question.html"));
        Assert.Contains("<script src=\"https://assets.crowd.aws/crowd-html-elements.js\"></script>", layout);
        Assert.True(layout.IndexOf("crowd-html-elements.js", StringComparison.Ordinal) < layout.IndexOf("<crowd-form", StringComparison.Ordinal));
    }
}
