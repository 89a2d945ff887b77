using Skillmaker.Crowd;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Crowd;

public class CrowdCliTests
{
    [Fact]
    public void ReadResults_MissingColumns_NamesEveryMissingColumn()
    {
        var csv = "AssignmentId,WorkerId,Input.task_id,Answer.content\r\nA1,W1,T1,exterior\r\n";
        var ex = Assert.Throws<Common.SkillmakerException>(() => MTurk.ReadResults(new StringReader(csv), "batch.csv", new HashSet<long> { 1 }, DateTimeOffset.UnixEpoch));
        Assert.Contains("missing column(s) Answer.taskAnswers (or Answer.content.<option> columns, or Answer.content and Answer.quality)", ex.Message);
    }

    [Fact]
    public void ReadResults_BadValuesAndUnknownTasks_ReportsAllWithLinesAndReturnsNothing()
    {
        var csv = """
            AssignmentId,WorkerId,WorkTimeInSeconds,Input.task_id,Answer.content,Answer.quality
            A1,W1,12,T1,exterior,good
            A2,W1,12,T99,exterior,good
            A3,W2,abc,T1,car,good
            """;
        var ex = Assert.Throws<Common.SkillmakerException>(() => MTurk.ReadResults(new StringReader(csv), "batch.csv", new HashSet<long> { 1 }, DateTimeOffset.UnixEpoch));
        Assert.Contains("Nothing was imported", ex.Message);
        Assert.Contains("unknown task id(s) T99", ex.Message);
        Assert.Contains("batch.csv line 4", ex.Message);
    }

    [Fact]
    public void ReadResults_UnclosedQuote_NothingImportedNamingFileAndLine()
    {
        var csv = "AssignmentId,WorkerId,WorkTimeInSeconds,Input.task_id,Answer.content,Answer.quality\r\nA1,W1,12,T1,exterior,good\r\nA2,W2,\"12,T1,exterior,good\r\n";
        var ex = Assert.Throws<Common.SkillmakerException>(() => MTurk.ReadResults(new StringReader(csv), "batch.csv", new HashSet<long> { 1 }, DateTimeOffset.UnixEpoch));
        Assert.Contains("Nothing was imported", ex.Message);
        Assert.Contains("batch.csv line 3: a quoted field is never closed", ex.Message);
    }

    [Fact]
    public async Task ExportImport_MTurkRoundTrip_SignedLinksAndNothingRecordedTwice()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 2);
        var queued = await CliRunner.RunAsync(ws.Root, "crowd", "queue", "--json");
        Assert.Equal(0, queued.ExitCode);
        Assert.Equal(2, queued.Json.GetProperty("queued").GetInt32());

        var before = await CliRunner.RunAsync(ws.Root, "crowd", "cost", "--hourly-rate", "18", "--json");
        Assert.Equal(0, before.ExitCode);
        Assert.Equal(6, before.Json.GetProperty("assignmentsLeft").GetInt32());
        Assert.Equal(20, before.Json.GetProperty("secondsPerTask").GetDouble());
        Assert.Equal(Math.Round(6 * 20 / 3600.0 * 18, 2), before.Json.GetProperty("cost").GetDouble());

        var outDir = ws.Scratch.File("mturk/x");
        var export = await CliRunner.RunAsync(ws.Root, "crowd", "export", "--format", "mturk", "--out", Path.GetDirectoryName(outDir)!, "--base-url", "https://labels.example.com", "--json");
        Assert.Equal(0, export.ExitCode);
        var input = await File.ReadAllLinesAsync(Path.Combine(Path.GetDirectoryName(outDir)!, "input.csv"));
        Assert.Equal("task_id,image_url", input[0]);
        Assert.Equal(3, input.Length);
        Assert.All(input.Skip(1), l => Assert.Matches(@"^T\d+,https://labels\.example\.com/img/crop/[0-9a-f]{64}\?exp=\d+&sig=[A-Za-z0-9_-]+$", l));
        Assert.DoesNotContain(crops[0].ParentId, string.Join("\n", input));
        Assert.Contains("${image_url}", await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(outDir)!, "question.html")));

        var ids = input.Skip(1).Select(l => l.Split(',')[0]).ToList();
        var results = ws.Scratch.File("results.csv");
        await File.WriteAllTextAsync(results, $"""
            HITId,AssignmentId,WorkerId,AssignmentStatus,WorkTimeInSeconds,Input.task_id,Input.image_url,Answer.content,Answer.quality
            H1,A1,W1,Submitted,10,{ids[0]},x,exterior,good
            H1,A2,W2,Approved,30,{ids[0]},x,exterior,blurry
            H1,A3,W3,Rejected,5,{ids[0]},x,wheel,good
            H2,A4,W1,Submitted,20,{ids[1]},x,close-up,good
            H2,A5,W1,Submitted,20,{ids[1]},x,wheel,good
            """);
        var import = await CliRunner.RunAsync(ws.Root, "crowd", "import", results, "--json");
        Assert.Equal(0, import.ExitCode);
        Assert.Equal((3, 1), (import.Json.GetProperty("recorded").GetInt32(), import.Json.GetProperty("duplicates").GetInt32()));
        var again = await CliRunner.RunAsync(ws.Root, "crowd", "import", results, "--json");
        Assert.Equal((0, 4), (again.Json.GetProperty("recorded").GetInt32(), again.Json.GetProperty("duplicates").GetInt32()));

        var bad = ws.Scratch.File("bad.csv");
        await File.WriteAllTextAsync(bad, $"""
            AssignmentId,WorkerId,WorkTimeInSeconds,Input.task_id,Answer.content,Answer.quality
            B1,W9,10,{ids[1]},exterior,good
            B2,W9,10,T4242,exterior,good
            """);
        var refused = await CliRunner.RunAsync(ws.Root, "crowd", "import", bad);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("unknown task id(s) T4242", refused.Error);
        Assert.Equal(3, (await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None)).Count);

        var after = await CliRunner.RunAsync(ws.Root, "crowd", "cost", "--json");
        Assert.Equal(3, after.Json.GetProperty("assignmentsLeft").GetInt32());
        Assert.Equal(20, after.Json.GetProperty("secondsPerTask").GetDouble());
        Assert.StartsWith("default", after.Json.GetProperty("secondsBasis").GetString());
        var mturk = after.Json.GetProperty("channels").EnumerateArray().Single(c => c.GetProperty("channel").GetString() == "mturk");
        Assert.Contains("only 3 usable measured answers", mturk.GetProperty("secondsBasis").GetString());
    }

    /// <summary>Issue 20: 26 quick test answers dropped the estimate from 120.75 s to 2.16 s. Speeders are
    /// left out, the median is trimmed, and MTurk's fee is added on the MTurk channel.</summary>
    [Fact]
    public async Task Cost_QuickTestAnswers_DoNotSwingTheEstimateAndMTurkFeeIsIncluded()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: 2);
        Assert.Equal(0, (await CliRunner.RunAsync(ws.Root, "crowd", "queue", "--overlap", "20")).ExitCode);
        var store = WorkspaceStorage.CrowdStore(ws.Catalog);
        var tasks = await store.GetTasksAsync(null, true, CancellationToken.None);
        var random = new Random(5);
        var answers = new List<CrowdAnswer>();
        for (var i = 0; i < 38; i++)
        {
            var seconds = i < 26 ? 1 + random.NextDouble() : 110 + random.Next(21);
            answers.Add(new CrowdAnswer { TaskId = tasks[i % 2].Id, Worker = $"w{i}", Content = "exterior", Quality = "good", Seconds = seconds, Channel = "web", AnsweredAt = DateTimeOffset.UnixEpoch });
        }
        Assert.All(await store.ImportAnswersAsync(answers, CancellationToken.None), s => Assert.Equal(ImportStatus.Recorded, s));

        var cost = await CliRunner.RunAsync(ws.Root, "crowd", "cost", "--hourly-rate", "12", "--json");
        Assert.True(cost.ExitCode == 0, cost.Error);
        var realSeconds = answers.Skip(26).Select(a => a.Seconds!.Value).Order().ToList();
        Assert.InRange(cost.Json.GetProperty("secondsPerTask").GetDouble(), realSeconds[1], realSeconds[^2]);
        Assert.Contains("26 speeders or idle left out", cost.Json.GetProperty("secondsBasis").GetString());
        var channels = cost.Json.GetProperty("channels").EnumerateArray().ToDictionary(c => c.GetProperty("channel").GetString()!);
        Assert.Equal(0, channels["web"].GetProperty("platformFee").GetDouble());
        var pay = channels["mturk"].GetProperty("workerPay").GetDouble();
        // 20 assignments per HIT: MTurk charges 40%.
        Assert.Equal(Math.Round(pay * 0.4, 2), channels["mturk"].GetProperty("platformFee").GetDouble(), 2);
        Assert.Contains(cost.Json.GetProperty("assumptions").EnumerateArray(), a => a.GetString()!.StartsWith("MTurk fee: 20% of the reward", StringComparison.Ordinal));

        var text = await CliRunner.RunAsync(ws.Root, "crowd", "cost");
        Assert.Contains("Assumptions:", text.Out);
        Assert.Contains("MTurk", text.Out);
    }

    [Fact]
    public async Task UsersAdd_PrintsLoginLinkOnceAndStoresOnlyTheHash()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var added = await CliRunner.RunAsync(ws.Root, "users", "add", "ana", "--role", "expert", "--json");
        Assert.Equal(0, added.ExitCode);
        var token = added.Json.GetProperty("token").GetString()!;
        Assert.StartsWith("smk_", token);
        Assert.Equal($"http://127.0.0.1:5080/login?token={token}", added.Json.GetProperty("loginLink").GetString());
        var db = await File.ReadAllBytesAsync(Path.Combine(ws.Workspace.StateDirectory, "catalog.db"));
        Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(db));

        var twice = await CliRunner.RunAsync(ws.Root, "users", "add", "ana", "--role", "crowd");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("already exists", twice.Error);
        var badRole = await CliRunner.RunAsync(ws.Root, "users", "add", "bo", "--role", "boss");
        Assert.Equal(2, badRole.ExitCode);
    }
}
