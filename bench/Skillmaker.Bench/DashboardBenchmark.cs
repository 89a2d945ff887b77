using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Server;
using Skillmaker.Skills;
using Skillmaker.Users;

namespace Skillmaker.Bench;

/// <summary>Dashboard page render times (server side, whole HTML response over loopback) on a catalog of
/// synthetic images (default 100,000: labels, sets, dates, detections, crowd tasks and results, expert decisions), one manifest of all of them made by
/// the real extract, and synthetic skill versions (default 50) with evaluations of 50 classes.
/// Options: --images N, --versions N, --runs N (requests per page).</summary>
internal static partial class DashboardBenchmark
{
    private const int Classes = 50;
    private static readonly string[] Parameters = ["$id", "$w", "$h", "$ph", "$at", "$source", "$path", "$file", "$label", "$set", "$taken", "$outcome", "$vehicles", "$task", "$answers", "$crowd", "$expert"];

    public static async Task<int> RunAsync(string[] args)
    {
        var a = new BenchArgs(args);
        var images = a.Int("--images", 100_000);
        var versions = a.Int("--versions", 50);
        var runs = a.Int("--runs", 30);
        await using var temp = await BenchSupport.NewWorkspaceAsync("dashboard", 5);
        var line = temp.Line;

        var watch = Stopwatch.StartNew();
        var ids = await FillCatalogAsync(line.Workspace.ResolveStatePath(line.Workspace.Config.Catalog["sqlite:".Length..]), images);
        Console.WriteLine($"catalog: {images:N0} images with labels, sets, dates, detections written in {watch.Elapsed.TotalSeconds:0.0} s");
        watch.Restart();
        var definition = DatasetDefinitionLoader.Parse("""{ "name": "bench", "imageKind": "original", "classesFromLabels": true, "allowLabelHints": true }""", "bench definition");
        var extract = await line.Datasets().ExtractAsync(definition, null, CancellationToken.None);
        var manifest = extract.Manifest;
        Console.WriteLine($"extract: manifest of {manifest.Items.Count:N0} items in {watch.Elapsed.TotalSeconds:0.0} s");
        WriteSkills(line.Training.Skills.Root, manifest, versions);

        var (_, token) = await line.Users().AddAsync("bench-admin", UserRole.Admin, CancellationToken.None);
        await using var app = await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0" }, CancellationToken.None);
        var url = app.Addresses().Single().TrimEnd('/');
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
        var login = await http.GetStringAsync("/login");
        var csrf = CsrfToken().Match(login).Groups[1].Value;
        var signedIn = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["__RequestVerificationToken"] = csrf }));
        if (signedIn.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"sign-in failed: {signedIn.StatusCode}");

        var mid = ids[ids.Count / 2];
        var v = versions / 2;
        var pages = new (string Name, string Path)[]
        {
            ("data, first page", "/data"),
            ("data, page from the middle", $"/data?after={mid}"),
            ("data, label + provenance", "/data?label=class-07&provenance=source"),
            ("data, test split", "/data?split=test"),
            ("data, one set", $"/data?set=set-{(images / 8).ToString(CultureInfo.InvariantCulture)}"),
            ("data, detection none + min size", "/data?detection=none&minw=800"),
            ("data, taken in one month", "/data?from=2021-03-01&to=2021-03-31"),
            ("data, crowd queued", "/data?crowd=queued"),
            ("data, crowd escalated", "/data?crowd=escalated"),
            ("data, crowd consolidated", "/data?crowd=consolidated"),
            ("data, crowd expert-confirmed", "/data?crowd=expert-confirmed"),
            ("data, crowd not sent, page from the middle", $"/data?crowd=not-sent&after={mid}"),
            ("image page", $"/data/{mid}"),
            ("skills", "/skills"),
            ($"version page (v{v})", $"/skills/bench/{v}"),
            ("confusion cell (diagonal)", $"/skills/bench/{v}/cell?t=3&p=3"),
            ("all failures, page 2", $"/skills/bench/{v}/failures?page=2"),
            ("compare two versions", $"/skills/bench/compare?a={v - 1}&b={v}"),
            ("datasets", "/datasets"),
            ("manifest page (diff)", $"/datasets/manifests/{manifest.Id}"),
        };
        Console.WriteLine($"{"page",-36} {"p50 ms",8} {"p95 ms",8} {"KB",6}");
        var worst = 0.0;
        foreach (var (name, path) in pages)
        {
            var times = new List<double>();
            var size = 0;
            for (var i = 0; i < runs + 2; i++)
            {
                var t = Stopwatch.StartNew();
                using var response = await http.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                t.Stop();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
                size = body.Length;
                if (i >= 2) times.Add(t.Elapsed.TotalMilliseconds); // the first two warm caches and the JIT
            }
            times.Sort();
            var p95 = EvaluationMetrics.Percentile([.. times], 0.95);
            worst = Math.Max(worst, p95);
            Console.WriteLine($"{name,-36} {EvaluationMetrics.Percentile([.. times], 0.5),8:0.0} {p95,8:0.0} {size / 1024,6}");
        }
        Console.WriteLine($"worst page p95: {worst:0.0} ms (goal < 300 ms) on {images:N0} images and {versions} skill versions");
        return 0;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfToken();

    /// <summary>Writes the synthetic catalog straight into the workspace's SQLite file, in one transaction.</summary>
    private static async Task<List<string>> FillCatalogAsync(string path, int count)
    {
        await using var db = new SqliteConnection($"Data Source={path}");
        await db.OpenAsync();
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync();
        var random = new Random(23);
        const string at = "2026-01-01T00:00:00.0000000Z";
        const string model = "benchmodel";
        await Exec(db, tx, $"INSERT INTO detect_runs (run_id, model_sha256, model_path, settings, started_at, status) VALUES ('bench', '{model}', 'm.onnx', '{{}}', '{at}', 'completed')");
        var commands = new[]
        {
            "INSERT INTO images (id, kind, byte_size, format, width, height, exif_orientation, phash, ingested_at) VALUES ($id, 'original', 100000, 'jpeg', $w, $h, 1, $ph, $at)",
            "INSERT INTO image_occurrences (image_id, source, original_path, original_file_name, run_id, seen_at) VALUES ($id, $source, $path, $file, 'bench', $at)",
            "INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at) VALUES ($id, $label, 'hint', 'source', 'source:bench', $at)",
            "INSERT INTO image_fields (image_id, field, value, provenance, actor, recorded_at) VALUES ($id, 'set_id', $set, 'source', 'source:bench', $at)",
            "INSERT INTO image_fields (image_id, field, value, provenance, actor, recorded_at) VALUES ($id, 'date_taken', $taken, 'exif', 'exif', $at)",
            $"INSERT INTO detection_results (image_id, model_sha256, run_id, outcome, vehicle_count, processed_at) VALUES ($id, '{model}', 'bench', $outcome, $vehicles, $at)",
            $"INSERT INTO detections (image_id, model_sha256, rank, class_id, class_name, score, x1, y1, x2, y2, role) SELECT $id, '{model}', 0, 2, 'car', 0.9, 40, 30, $w - 40, $h - 30, 'vehicle' WHERE $vehicles > 0",
            // Crowd states (see CrowdState): 10% queued, 10% answered, 8% consolidated, 2% escalated, 1% expert-confirmed.
            "INSERT INTO labels (image_id, label, status, provenance, actor, recorded_at) SELECT $id, $label, 'confirmed', 'expert', 'bench-expert', $at WHERE $expert = 1",
            "INSERT INTO crowd_tasks (image_id, round, overlap, status, answer_count, created_at) SELECT $id, 1, 3, $task, $answers, $at WHERE $task IS NOT NULL",
            // Right after its task: last_insert_rowid() is that task's id.
            "INSERT INTO crowd_results (image_id, task_id, method, content, content_confidence, quality, quality_confidence, answers, outcome, consolidated_at) " +
                "SELECT $id, last_insert_rowid(), 'majority', 'exterior', 0.9, 'good', 0.9, 3, $crowd, $at WHERE $crowd IS NOT NULL",
        }.Select(sql =>
        {
            var c = db.CreateCommand();
            c.Transaction = tx;
            c.CommandText = sql;
            foreach (var p in Parameters)
                if (sql.Contains(p, StringComparison.Ordinal)) c.Parameters.Add(new SqliteParameter(p, null));
            return c;
        }).ToList();
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = Common.Sha256Hex.Of(BitConverter.GetBytes(i));
            ids.Add(id);
            var vehicles = random.Next(10) switch { 0 => 0, 1 => 2, _ => 1 };
            var values = new Dictionary<string, object>
            {
                ["$id"] = id, ["$w"] = 640 + random.Next(3) * 320, ["$h"] = 480 + random.Next(3) * 240, ["$ph"] = random.NextInt64(), ["$at"] = at,
                ["$source"] = i % 3 == 0 ? "fans" : "stanford-cars", ["$path"] = $"/data/{i}.jpg", ["$file"] = $"{i}.jpg",
                ["$label"] = $"class-{(i % Classes).ToString("00", CultureInfo.InvariantCulture)}", ["$set"] = $"set-{(i / 4).ToString(CultureInfo.InvariantCulture)}",
                ["$taken"] = $"{2019 + i % 5}-{1 + i % 12:00}-{1 + i % 28:00}T12:00:00", ["$outcome"] = vehicles switch { 0 => "none", 1 => "one", _ => "several" }, ["$vehicles"] = vehicles,
                ["$task"] = (i % 10) switch { 0 or 1 => "open", 2 => "consolidated", _ => DBNull.Value },
                ["$answers"] = i % 10 == 1 ? 2 : i % 10 == 2 ? 3 : 0,
                ["$crowd"] = i % 10 != 2 ? DBNull.Value : i % 50 == 2 ? "escalated" : "resolved",
                ["$expert"] = i % 100 == 7 ? 1 : 0,
            };
            foreach (var c in commands)
            {
                foreach (SqliteParameter p in c.Parameters) p.Value = values[p.ParameterName];
                await c.ExecuteNonQueryAsync();
            }
        }
        await tx.CommitAsync();
        foreach (var c in commands) await c.DisposeAsync();
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    private static async Task Exec(SqliteConnection db, SqliteTransaction tx, string sql)
    {
        await using var c = db.CreateCommand();
        c.Transaction = tx;
        c.CommandText = sql;
        await c.ExecuteNonQueryAsync();
    }

    /// <summary>Skill packages with only what the dashboard reads: skill.json and evaluation.json (no model files).</summary>
    private static void WriteSkills(string root, DatasetManifest manifest, int versions)
    {
        var test = manifest.Items.Where(i => i.Split == Split.Test).ToList();
        var classes = manifest.Classes;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        for (var v = 1; v <= versions; v++)
        {
            var random = new Random(v);
            var folder = Path.Combine(root, "bench", v.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var confusion = new int[classes.Count, classes.Count];
            var failures = new List<Failure>();
            foreach (var item in test)
            {
                var t = index[item.Class];
                var p = random.NextDouble() < 0.2 ? random.Next(classes.Count) : t;
                confusion[t, p]++;
                if (p != t) failures.Add(new Failure(item.ImageId, item.Class, classes[p], 0.6, 0.2));
            }
            var perClass = classes.Select((c, k) => new ClassMetrics(c, 0.8, 0.8, 0.8, Enumerable.Range(0, classes.Count).Sum(j => confusion[k, j]))).ToList();
            var evaluation = new EvaluationSummary
            {
                Skill = "bench", Version = v, ManifestId = manifest.Id, EvaluatedAt = DateTimeOffset.UnixEpoch.AddDays(v), Machine = "bench", Classes = classes,
                Images = test.Count, Accuracy = 1 - (double)failures.Count / test.Count, BalancedAccuracy = 0.8, TopK = [0.8, 0.9], PerClass = perClass,
                ConfusionMatrix = [.. Enumerable.Range(0, classes.Count).Select(i => (IReadOnlyList<int>)[.. Enumerable.Range(0, classes.Count).Select(j => confusion[i, j])])],
                CalibrationError = 0.05, LatencyP50Ms = 4, LatencyP95Ms = 6, Failures = failures,
                Reliability = [.. Enumerable.Range(0, EvaluationMetrics.CalibrationBins).Select(b => new CalibrationBin(b / 10.0, (b + 1) / 10.0, test.Count / 10, b / 10.0 + 0.05, b / 10.0))],
                Latency = new LatencySummary(4, 5, 6, 8, 12, 4.4),
            };
            var info = new SkillPackageInfo
            {
                Name = "bench", Version = v, CreatedAt = DateTimeOffset.UnixEpoch.AddDays(v), Labels = classes,
                Head = new HeadInfo { Type = "logistic", File = "head.onnx", Sha256 = new string('0', 64), Params = JsonDocument.Parse("{}").RootElement },
                Backbone = new BackboneInfo { Path = "backbone.onnx", Sha256 = new string('0', 64), Input = "input", Output = "features", EmbeddingSize = 1280 },
                Preprocessing = new PreprocessingSpec(), ManifestId = manifest.Id, Dataset = manifest.Name, CodeVersion = "bench", ConfigHash = "bench",
                Metrics = PackageMetrics.From(evaluation),
                Training = new TrainingInfo { TrainImages = manifest.Items.Count - test.Count, TrainExamples = manifest.Items.Count - test.Count, CopiesPerImage = 0, AugmentationSteps = [], Seed = 1 },
                Profile = "default", Runtime = new ProfileSpec(),
            };
            File.WriteAllText(Path.Combine(folder, SkillPackageInfo.EvaluationFileName), JsonSerializer.Serialize(evaluation, SkillJson.Options));
            File.WriteAllText(Path.Combine(folder, SkillPackageInfo.FileName), JsonSerializer.Serialize(info, SkillJson.Options));
        }
    }
}
