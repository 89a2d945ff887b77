using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Host;
using Skillmaker.Serving;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Tests.Training;

namespace Skillmaker.Tests.Workers;

/// <summary>Machines that share no files: each is a process with its own empty working folder, HOME and
/// temp folder, no assets folder, and only the catalog URL, the S3 URL and the credentials. Two workers run
/// ingest, detect, train-all and eval while the submitter's workspace is moved out of reach; a third machine
/// promotes; a fourth serves and answers a photo exactly as one machine that did everything itself.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class IsolatedMachinesTests(PostgresFixture postgres, S3rverFixture s3, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = ServerWorkspace.Patience;
    private static readonly string[] Classes = ["audi_s4_sedan_2012", "bmw_m3_coupe_2012", "ford_f_150_regular_cab_2012"];
    private const int PhotosPerClass = 10;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {what}");

    [Fact]
    public async Task TrainPromoteServe_MachinesSharingNoFiles_SameAnswerAsOneMachine()
    {
        using var dir = new TempDir("isolated");
        // The submitter: a server-mode workspace whose detector and backbone are files inside it.
        await using var server = await ServerWorkspace.CreateAsync(postgres, s3, new JsonObject
        {
            ["batchSize"] = 8, ["pollIntervalSeconds"] = 0.2, ["retryDelaysSeconds"] = new JsonArray(1),
        }, seed: 7, configure: c => c["detector"] = new JsonObject { ["model"] = "models/detector.onnx", ["threads"] = 1 });
        var root = server.Workspace.Root;
        Directory.CreateDirectory(Path.Combine(root, ".skillmaker", "models"));
        File.Copy(TestAssets.Detector, Path.Combine(root, ".skillmaker", "models", "detector.onnx"));
        var photos = CopyPhotos(Path.Combine(root, "photos"));
        await WriteConfigsAsync(root);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(server.Workspace.Workspace.ConfigPath))!.AsObject();
        var jobsStorage = config["jobs"]!["storage"]!.GetValue<string>();

        // The same work on one machine, in this process, beside the others.
        await using var local = await TestWorkspace.CreateAsync(seed: 7);
        var reference = Task.Run(() => SingleMachineAsync(local.Root, photos));

        Phase("workers: start w1 and w2");
        var w1 = Machine(dir, "w1");
        var w2 = Machine(dir, "w2");
        await using var worker1 = CliProcess.Start(w1.Work, w1.Environment, "worker", "--workers", "1", "--name", "w1", "--storage", jobsStorage);
        await using var worker2 = CliProcess.Start(w2.Work, w2.Environment, "worker", "--workers", "1", "--name", "w2", "--storage", jobsStorage);
        await ServerWorkspace.ReadyAsync(worker1, worker2);

        var ledger = WorkspaceStorage.JobLedger(server.Workspace.Catalog);
        async Task<JsonElement> OnWorkersAsync(params string[] args)
        {
            Phase($"workers: {args[0]}");
            var submitted = Check(await server.CliAsync([.. args, "--detach", "--json"])).Json.GetProperty("runId").GetString()!;
            // Out of the workers' reach while they work: nothing of the submitter's folder may be needed.
            var away = root + "-away";
            Directory.Move(root, away);
            try
            {
                var deadline = DateTime.UtcNow + Patience;
                while (await ledger.GetRunAsync(submitted, withResults: false, CancellationToken.None) is not { Progress: { AllBatchesDone: true, Finished: true } })
                {
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"{args[0]} run {submitted} did not finish on the workers:\nw1: {worker1.Error}\nw2: {worker2.Error}");
                    if (worker1.HasExited && worker2.HasExited) throw new InvalidOperationException($"both workers exited:\nw1: {worker1.Error}\nw2: {worker2.Error}");
                    await Task.Delay(200);
                }
            }
            finally
            {
                Directory.Move(away, root);
            }
            return Check(await server.CliAsync("jobs", "wait", submitted, "--json")).Json;
        }

        var ingest = await OnWorkersAsync("ingest", "photos", "-s", "cars", "--labels-from-folders");
        Assert.Equal(Classes.Length * PhotosPerClass, ingest.GetProperty("added").GetInt32());
        var detect = await OnWorkersAsync("detect");
        Assert.Equal(Classes.Length * PhotosPerClass, detect.GetProperty("processed").GetInt32());
        var trainAll = await OnWorkersAsync("train-all", "configs/pair-a.json", "configs/pair-b.json");
        var trained = trainAll.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("result")).ToList();
        Assert.All(trained, r => Assert.Equal(1, r.GetProperty("version").GetInt32()));
        var eval = await OnWorkersAsync("eval", "pair-a@1", "pair-b@1");
        Assert.All(eval.GetProperty("evaluations").EnumerateArray(), e => Assert.True(e.GetProperty("ok").GetBoolean()));
        // Both workers worked, and neither read the submitter's files: the detector and backbone came from the blob store.
        foreach (var (worker, machine) in new[] { (worker1, w1), (worker2, w2) })
        {
            Assert.Matches(BatchDone(), worker.Error);
            Assert.DoesNotContain(root, worker.Error, StringComparison.Ordinal);
            Assert.True(Directory.EnumerateFiles(machine.Temp, "*.onnx", SearchOption.AllDirectories).Any(), $"{machine.Name} cached no model:\n{worker.Error}");
        }

        // A third machine promotes; nothing of the training machines' files is there.
        Phase("promoter");
        var promoter = await MachineWorkspaceAsync(dir, "promoter", config);
        var promote = Check(await RunAsync(promoter, "promote", "pair-a@1", "--json")).Json;
        Assert.True(promote.GetProperty("promoted").GetBoolean());
        Assert.True(promote.GetProperty("decision").GetProperty("passed").GetBoolean());

        // A fifth machine, which never promoted, writes the deployment the promoter published: the same files.
        Phase("builder: deploy fetch, report --published");
        var builder = await MachineWorkspaceAsync(dir, "builder", config);
        var fetched = Check(await RunAsync(builder, "deploy", "fetch", "--out", "bundle", "--json")).Json;
        var deployment = Assert.Single(fetched.GetProperty("deployments").EnumerateArray());
        Assert.Equal(promote.GetProperty("deploymentManifestSha256").GetString(), deployment.GetProperty("manifestSha256").GetString());
        Assert.Equal(("pair-a", 1), (deployment.GetProperty("skill").GetString(), deployment.GetProperty("version").GetInt32()));
        var promoted = FilesUnder(Path.Combine(promoter.Work, "deploy"));
        Assert.Contains(Path.Combine("pair-a", "Dockerfile"), promoted.Keys);
        Assert.Equal(promoted, FilesUnder(Path.Combine(builder.Work, "bundle")));

        // The report is written on a worker and published; the builder fetches those very bytes.
        var report = Check(await server.CliAsync("report", "pair-a@1", "--out", "report.pdf", "--json")).Json;
        var reportBytes = await File.ReadAllBytesAsync(Path.Combine(root, "report.pdf"));
        Assert.Equal(Common.Sha256Hex.Of(reportBytes), report.GetProperty("sha256").GetString());
        Assert.True(report.GetProperty("gate").GetBoolean());
        Assert.StartsWith("report-", report.GetProperty("runId").GetString(), StringComparison.Ordinal);
        var published = Check(await RunAsync(builder, "report", "pair-a@1", "--published", "--out", "published.pdf", "--json")).Json;
        Assert.Equal(report.GetProperty("sha256").GetString(), published.GetProperty("sha256").GetString());
        Assert.Equal(reportBytes, await File.ReadAllBytesAsync(Path.Combine(builder.Work, "published.pdf")));

        // A fourth serves the promoted version and reads the gate decision the promoter recorded.
        Phase("server");
        var serving = await MachineWorkspaceAsync(dir, "server", config);
        await File.WriteAllTextAsync(Path.Combine(serving.Work, ".skillmaker", ServingConfig.DefaultFileName), """{ "cascade": { "skill": "pair-a" }, "requireApiKey": false }""");
        var shown = Check(await RunAsync(serving, "skills", "show", "pair-a@1", "--json")).Json;
        Assert.True(shown.GetProperty("gate").GetProperty("passed").GetBoolean());
        Assert.Contains("production", shown.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        await using var serve = CliProcess.Start(serving.Work, serving.Environment, "serve", "--urls", "http://127.0.0.1:0");
        await serve.WaitForAsync("Inference API", Patience);
        var address = Listening().Match(serve.Output).Groups[1].Value;
        var photo = await File.ReadAllBytesAsync(QueryPhoto());
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Patience };
        using var body = new ByteArrayContent(photo);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync("v1/classify", body);
        var answerText = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {answerText}\n{serve.Error}");
        var answer = JsonDocument.Parse(answerText).RootElement;

        Phase("waiting for the single-machine run");
        var (expected, localHead) = await reference.WaitAsync(Patience);
        Assert.Equal(localHead, trained[0].GetProperty("headSha256").GetString());
        var stage = answer.GetProperty("cascade")[0];
        var expectedStage = Assert.Single(expected.Cascade);
        Assert.Equal(("pair-a", 1), (stage.GetProperty("skill").GetString(), stage.GetProperty("skillVersion").GetInt32()));
        Assert.Equal(expectedStage.Label, stage.GetProperty("label").GetString());
        Assert.Equal(expectedStage.Probability, stage.GetProperty("probability").GetSingle(), 5);
        Assert.Equal(expectedStage.Options.Select(o => o.Label), stage.GetProperty("options").EnumerateArray().Select(o => o.GetProperty("label").GetString()));
        Assert.Equal(expected.DetectorSha256, answer.GetProperty("detectorSha256").GetString());
        Assert.Equal(expected.Vehicle.Detections.Count, answer.GetProperty("vehicle").GetProperty("detections").GetArrayLength());
        // The promoter and the server fetched what they needed into their own caches.
        Assert.True(Directory.EnumerateFiles(serving.Temp, "*.onnx", SearchOption.AllDirectories).Any());
        Phase("done");
    }

    /// <summary>Ingest, detect, train pair-a, promote and classify the query photo, all in one process on
    /// SQLite and a blob folder; returns the answer and the head's SHA-256.</summary>
    private async Task<(ClassifyAnswer Answer, string Head)> SingleMachineAsync(string root, string photos)
    {
        var target = Path.Combine(root, "photos");
        Common.DirectoryCopy.Recursive(photos, target);
        await WriteConfigsAsync(root);
        Check(await CliRunner.RunAsync(root, "ingest", "photos", "-s", "cars", "--labels-from-folders"));
        Check(await CliRunner.RunAsync(root, "detect", "--threads", "1"));
        var head = Check(await CliRunner.RunAsync(root, "train", "configs/pair-a.json", "--json")).Json.GetProperty("headSha256").GetString()!;
        Check(await CliRunner.RunAsync(root, "promote", "pair-a@1"));
        Phase("single machine: trained and promoted");
        var workspace = await Workspaces.Workspace.OpenAsync(root, CancellationToken.None);
        var servingPath = Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName);
        await File.WriteAllTextAsync(servingPath, """{ "cascade": { "skill": "pair-a" }, "requireApiKey": false }""");
        await using var line = await LineServices.OpenAsync(workspace, new LineContext { Logging = NullLoggerFactory.Instance, Environment = Environment.GetEnvironmentVariable }, CancellationToken.None);
        var inference = (await line.PrepareInferenceAsync(servingPath, CancellationToken.None))!;
        using var skills = line.LiveSkills(inference);
        await skills.LoadAsync(CancellationToken.None);
        var answer = LineServices.Classifier(inference, skills, new InferenceMetrics()).Classify(await File.ReadAllBytesAsync(QueryPhoto()));
        return (answer, head);
    }

    private sealed record MachineDirs(string Name, string Work, string Temp, IReadOnlyDictionary<string, string> Environment);

    /// <summary>A machine of its own: empty working folder, HOME and temp folder (where its caches go), no
    /// assets, only the S3 endpoint and credentials in its environment.</summary>
    private MachineDirs Machine(TempDir dir, string name)
    {
        var machine = Path.Combine(dir.Path, "machines", name);
        var (work, home, temp) = (Path.Combine(machine, "work"), Path.Combine(machine, "home"), Path.Combine(machine, "tmp"));
        foreach (var d in new[] { work, home, temp }) Directory.CreateDirectory(d);
        var environment = new Dictionary<string, string>(s3.Environment)
        {
            ["HOME"] = home, ["TMPDIR"] = temp, [Common.AssetLocator.EnvironmentVariable] = Path.Combine(machine, "no-assets"),
        };
        return new MachineDirs(name, work, temp, environment);
    }

    /// <summary>A machine with a workspace config naming only the seed, the catalog and the blob store.</summary>
    private async Task<MachineDirs> MachineWorkspaceAsync(TempDir dir, string name, JsonObject submitted)
    {
        var machine = Machine(dir, name);
        var config = new JsonObject
        {
            ["seed"] = submitted["seed"]!.DeepClone(), ["catalog"] = submitted["catalog"]!.DeepClone(),
            ["blobs"] = submitted["blobs"]!.DeepClone(), ["s3"] = submitted["s3"]!.DeepClone(),
        };
        Directory.CreateDirectory(Path.Combine(machine.Work, ".skillmaker"));
        await File.WriteAllTextAsync(Path.Combine(machine.Work, ".skillmaker", "config.json"), config.ToJsonString());
        return machine;
    }

    private static async Task<CliResult> RunAsync(MachineDirs machine, params string[] args)
    {
        await using var process = CliProcess.Start(machine.Work, machine.Environment, args);
        return await process.WaitForExitAsync(Patience);
    }

    /// <summary>Every file under <paramref name="folder"/> by relative path, as its SHA-256.</summary>
    private static SortedDictionary<string, string> FilesUnder(string folder) => new(
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), f => Common.Sha256Hex.Of(File.ReadAllBytes(f))), StringComparer.Ordinal);

    /// <summary>A few photos of each class, in folders named by class.</summary>
    internal static string CopyPhotos(string target, int perClass = PhotosPerClass)
    {
        foreach (var c in Classes)
        {
            Directory.CreateDirectory(Path.Combine(target, c));
            foreach (var photo in Directory.GetFiles(Path.Combine(TestAssets.Cars, c), "*.jpg").Order(StringComparer.Ordinal).Take(perClass))
                File.Copy(photo, Path.Combine(target, c, Path.GetFileName(photo)));
        }
        return target;
    }

    /// <summary>A photo of the first class that is not among the training photos.</summary>
    private static string QueryPhoto() =>
        Directory.GetFiles(Path.Combine(TestAssets.Cars, Classes[0]), "*.jpg").Order(StringComparer.Ordinal).Skip(PhotosPerClass).First();

    /// <summary>Two skills on the classes, on a copy of the backbone inside the workspace.</summary>
    internal static async Task WriteConfigsAsync(string root)
    {
        var configs = Path.Combine(root, "configs");
        Directory.CreateDirectory(configs);
        File.Copy(TestAssets.Backbone, Path.Combine(configs, "features.onnx"), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(configs, "pair.dataset.json"), JsonSerializer.Serialize(new
        {
            name = "pair", imageKind = "original", allowLabelHints = true, testFraction = 0.25,
            classes = Classes.Select(c => new { name = c, labels = new[] { c } }),
        }));
        await File.WriteAllTextAsync(Path.Combine(configs, "pair-a.json"), TrainingFixture.SkillConfigJson("pair-a", "pair.dataset.json", """{ "type": "logistic" }""", backbone: "features.onnx"));
        await File.WriteAllTextAsync(Path.Combine(configs, "pair-b.json"), TrainingFixture.SkillConfigJson("pair-b", "pair.dataset.json", """{ "type": "knn", "params": { "k": 3 } }""", backbone: "features.onnx"));
    }

    private static CliResult Check(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}\n{result.Out}");
        return result;
    }

    [GeneratedRegex(@"batch \d+/\d+ done")]
    private static partial Regex BatchDone();

    [GeneratedRegex(@"on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
