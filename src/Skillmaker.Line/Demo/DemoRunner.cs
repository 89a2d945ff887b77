using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Catalog;
using Skillmaker.Host;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Serving;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Workspaces;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;

namespace Skillmaker.Demo;

/// <summary>The whole line on the demo assets, in a fresh workspace, with the same services the commands
/// use: ingest → detect → crowd step → extract → train → evaluate → report → promote → serve and
/// classify over HTTP → stop. Each stage shows a progress bar and a line when it is done.</summary>
public sealed partial class DemoRunner(IDemoHost host, LineContext context, DemoAssets assets)
{
    public const string CarsSource = "stanford-cars";
    public const string ScenesSource = "scenes";
    public const string ApiClientName = "demo";
    /// <summary>Scenes the demo prefers to classify when they are among the assets (else the first
    /// scene by name with, or without, a vehicle).</summary>
    public const string PreferredVehicleScene = "tesla_model_y.png";
    public const string PreferredEmptyScene = "zidane.jpg";

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    private readonly ILogger _logger = context.Logging.CreateLogger<DemoRunner>();
    private readonly List<DemoStage> _stages = [];

    public async Task<DemoResult> RunAsync(string workspaceFolder, CancellationToken ct)
    {
        var started = context.Time.GetTimestamp();
        var (workspace, action) = await DemoWorkspace.CreateFreshAsync(workspaceFolder, context.Time, ct);
        host.Say($"workspace: {action} (seed {workspace.Config.Seed})");
        await using var line = await LineServices.OpenAsync(workspace, context, ct);
        var demoFolder = Path.Combine(workspace.Root, "demo");
        Directory.CreateDirectory(demoFolder);

        // 1. Ingest: cars with their folder names as label hints, scenes without.
        var ingest = line.Ingest();
        await StageAsync("ingest cars", () => host.WithProgressAsync("Ingest cars", p => ingest.RunAsync(
                new IngestRequest { Paths = [assets.Cars], Source = CarsSource, LabelsFromFolders = true }, p.Map((IngestProgress v) => (v.Completed, v.Total)), ct)),
            s => $"{s.Added} photos added with their folder name as label hint (provenance source), {s.Duplicates} duplicates, {s.NearDuplicates} near-duplicates linked, {s.Rejected.Count} rejected",
            s => IngestJson.Of(s, ("source", CarsSource), ("ignored", s.Ignored)));
        await StageAsync("ingest scenes", () => host.WithProgressAsync("Ingest scenes", p => ingest.RunAsync(
                new IngestRequest { Paths = [assets.Scenes], Source = ScenesSource }, p.Map((IngestProgress v) => (v.Completed, v.Total)), ct)),
            s => $"{s.Added} photos added (streets, interiors, close-ups, no vehicle), {s.Duplicates} duplicates, {s.Rejected.Count} rejected",
            s => IngestJson.Of(s, ("source", ScenesSource), ("ignored", s.Ignored)));

        // 2. Detect vehicles with the real detector; one crop per vehicle.
        var detectorOverrides = DetectorOverrides.None with { Model = assets.Detector };
        var detect = line.Detect(await line.PrepareDetectorAsync(detectorOverrides, publish: true, ct));
        var detected = await StageAsync("detect", () => host.WithProgressAsync("Detect vehicles", p => detect.RunAsync(new DetectRequest(), p.Map((DetectProgress v) => (v.Completed, v.Total)), ct)),
            d => $"{d.Processed} photos: {d.OneVehicle} with one vehicle, {d.SeveralVehicles} with several, {d.NoVehicle} without; {d.CropsCreated} vehicle crops, {d.Failed.Count} failed ({Path.GetFileName(d.Model.Path)})",
            d => new { model = d.Model.Path, modelSha256 = d.Model.Sha256, d.Processed, d.OneVehicle, d.SeveralVehicles, d.NoVehicle, d.CropsCreated, failed = d.Failed.Count, runId = d.RunId });

        // 3. Crowd step: queue the crops for people, and (in the demo) accept the sources' label hints.
        var crowdService = line.Crowd();
        var crowd = await StageAsync("crowd", () => host.WithProgressAsync("Crowd step", async p =>
            {
                var queued = await crowdService.EnqueueAllCropsAsync(null, ct);
                var crops = await line.DatasetStore.GetCandidatesAsync(ImageKind.Crop, ct);
                var accepted = crops.Count(c => c.ConfirmedLabel is null && !c.Rejected && c.LabelHints.Count > 0);
                var background = crops.Count(c => c.PhotoSubject == false && c.PhotoLabelHints.Count > 0);
                p.Report((1, 1));
                return new DemoCrowd(accepted, Provenance.Source.ToWire(), queued, crowdService.Options.Overlap,
                    $"accepted {accepted} label hints from the source as labels (provenance: {Provenance.Source.ToWire()}; each photo's label goes to its subject only, " +
                    $"{background} background vehicles get none) — in production people label these on the crowd page " +
                    $"(/crowd, {queued} tasks queued with overlap {crowdService.Options.Overlap}) and experts confirm them on /review; see docs/crowd.md");
            }),
            c => c.Note, c => c);

        // 4. Extract datasets with sticky splits.
        var labels = DemoAssets.ClassFolders(assets.Cars).Select(f => Path.GetFileName(f)).ToList();
        var plan = DemoPlan.From(labels, assets.CarLabels, assets.Backbone);
        var datasets = line.Datasets();
        var extracted = await StageAsync("extract", () => host.WithProgressAsync("Extract datasets", async p =>
            {
                var results = new List<ExtractResult>();
                foreach (var skill in plan.Skills)
                {
                    var path = Path.Combine(demoFolder, skill.DefinitionFile);
                    await AtomicFile.WriteAllTextAsync(path, skill.DefinitionJson, ct);
                    var definition = await DatasetDefinitionLoader.LoadAsync(path, ct);
                    results.Add(await datasets.ExtractAsync(definition, null, ct));
                    p.Report((results.Count, plan.Skills.Count));
                }
                return results;
            }),
            r => string.Join("; ", r.Select(e => $"{e.Manifest.Name}: {e.Manifest.Classes.Count} classes, {Count(e.Manifest, Split.Train)} train / {Count(e.Manifest, Split.Test)} test crops (manifest {e.Manifest.Id[..12]})")),
            r => r.Select(e => new
            {
                name = e.Manifest.Name, manifestId = e.Manifest.Id, json = e.JsonPath, csv = e.CsvPath, classes = e.Manifest.Classes,
                train = Count(e.Manifest, Split.Train), test = Count(e.Manifest, Split.Test), droppedClasses = e.Manifest.DroppedClasses,
            }).ToList());

        // 5. Train: softmax regression on cached backbone embeddings.
        var training = line.Trainer();
        var trained = await StageAsync("train", () => host.WithStagesAsync(async progress =>
            {
                var results = new List<TrainResult>();
                foreach (var skill in plan.Skills)
                {
                    var path = Path.Combine(demoFolder, skill.ConfigFile);
                    await AtomicFile.WriteAllTextAsync(path, skill.ConfigJson, ct);
                    var config = await SkillConfigLoader.LoadAsync(path, context.Environment, ct);
                    results.Add(await training.TrainAsync(config, null, null, TrainingProgress.AsStages(progress), ct));
                }
                return results;
            }),
            r => string.Join("; ", r.Select(t => $"{t.Package.Name} v{t.Package.Version} ({t.Package.Head.Type} head, {t.Package.Labels.Count} classes, embeddings {t.Embeddings.Computed} computed / {t.Embeddings.CacheHits} from cache)")),
            r => r.Select(TrainJson.Of).ToList());
        var versions = trained.Select(t => new SkillRef(t.Package.Name, t.Package.Version)).ToList();

        // 6. Evaluate on the held-out test split, on this machine.
        var evaluationService = line.Evaluation();
        var evaluations = await StageAsync("evaluate", async () =>
            {
                var results = new List<RecordedEvaluation>();
                foreach (var skill in versions)
                    results.Add(await host.WithProgressAsync($"Evaluate {skill}", p => evaluationService.EvaluateAsync(skill, null, p, ct)));
                return results;
            },
            r => string.Join("; ", r.Select(e => $"{e.Summary.Skill} v{e.Summary.Version}: top-1 {Numbers.Percent(e.Summary.Accuracy)} (balanced {Numbers.Percent(e.Summary.BalancedAccuracy)}) on {e.Summary.Images} test crops, p95 {Numbers.OneDecimal(e.Summary.LatencyP95Ms)} ms")),
            r => r.Select(e => new { skill = e.Summary.Skill, version = e.Summary.Version, path = e.Path, e.Summary.Accuracy, e.Summary.BalancedAccuracy, e.Summary.TopK, e.Summary.LatencyP50Ms, e.Summary.LatencyP95Ms, testImages = e.Summary.Images }).ToList());

        // 7. Report PDF.
        var reportsFolder = Path.Combine(workspace.Root, "reports");
        var reports = await StageAsync("report", () => host.WithProgressAsync("Write report PDFs", async p =>
            {
                var paths = new List<string>();
                foreach (var skill in versions)
                {
                    var path = Path.Combine(reportsFolder, $"{skill.Name}-v{skill.Version.ToString(CultureInfo.InvariantCulture)}.pdf");
                    await evaluationService.WriteReportAsync(skill, path, ct);
                    paths.Add(path);
                    p.Report((paths.Count, versions.Count));
                }
                return paths;
            }),
            r => string.Join(", ", r), r => r);

        // 8. Promote through the gate (no production yet: first promotion).
        var promotion = line.Promotion();
        var promotions = await StageAsync("promote", async () =>
            {
                var results = new List<PromotionResult>();
                foreach (var skill in versions)
                {
                    var result = await host.WithProgressAsync($"Promote {skill}", p => promotion.PromoteAsync(new PromotionRequest(skill, context.User), p, ct));
                    if (!result.Promoted) throw new SkillmakerException($"The gate did not promote {skill}, so there is nothing to serve: {result.Decision.Reason}");
                    results.Add(result);
                }
                return results;
            },
            r => string.Join(" ", r.Select(x => x.Decision.Reason)),
            r => r.Select(x => new { skill = x.Candidate.Name, version = x.Candidate.Version, x.Promoted, x.Decision, record = x.DecisionPath, deploymentFiles = x.DeploymentFiles }).ToList());

        // 9. Serve on loopback, classify three photos over HTTP with an API key, stop.
        var servingPath = Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName);
        await AtomicFile.WriteAllTextAsync(servingPath, ServingConfig.Serialize(plan.Serving()), ct);
        var photos = await ChoosePhotosAsync(line, plan, extracted, detected, ct);
        var (serving, answers) = await StageAsync("serve", () => host.WithProgressAsync("Serve and classify", p => ServeAndClassifyAsync(line, detectorOverrides, servingPath, photos, p, ct)),
            s => $"served {string.Join(", ", s.Serving.SkillVersions.Select(v => $"{v.Key}@{v.Value}"))} on {s.Serving.Address}, classified {s.Answers.Count} photos over HTTP, stopped",
            s => s.Serving);

        var catalog = await CatalogSummaryAsync(line, ct);
        var skills = plan.Skills.Select((s, i) => new DemoSkillResult
        {
            Name = s.Name,
            Version = versions[i].Version,
            Labels = trained[i].Package.Labels,
            DefinitionFile = Path.Combine(demoFolder, s.DefinitionFile),
            ConfigFile = Path.Combine(demoFolder, s.ConfigFile),
            ManifestId = extracted[i].Manifest.Id,
            ManifestJson = extracted[i].JsonPath,
            ManifestCsv = extracted[i].CsvPath,
            TrainItems = Count(extracted[i].Manifest, Split.Train),
            TestItems = Count(extracted[i].Manifest, Split.Test),
            Package = trained[i].Directory,
            Accuracy = evaluations[i].Summary.Accuracy,
            BalancedAccuracy = evaluations[i].Summary.BalancedAccuracy,
            LatencyP95Ms = evaluations[i].Summary.LatencyP95Ms,
            Evaluation = evaluations[i].Path,
            Report = reports[i],
            Promoted = promotions[i].Promoted,
            GateDecision = promotions[i].Decision.Reason,
            PromotionRecord = promotions[i].DecisionPath ?? "",
            DeploymentFiles = promotions[i].DeploymentFiles,
        }).ToList();
        return new DemoResult
        {
            Workspace = new DemoWorkspaceInfo(workspace.Root, action, workspace.Config.Seed),
            Assets = assets.Root,
            CodeVersion = BuildInfo.CodeVersion,
            Stages = _stages,
            Catalog = catalog,
            Crowd = crowd,
            Skills = skills,
            Serving = serving,
            Answers = answers,
            Artefacts = Artefacts(workspace, catalog, crowd, skills, serving),
            Seconds = Math.Round(context.Time.GetElapsedTime(started).TotalSeconds, 1),
        };
    }

    private sealed record Photo(string Name, string Why, string? Truth, byte[] Bytes, string MediaType);

    /// <summary>A car photo from a test split (never trained on), a scene with a vehicle and a scene
    /// without one, as the detector saw them.</summary>
    private async Task<IReadOnlyList<Photo>> ChoosePhotosAsync(LineServices line, DemoPlan plan, IReadOnlyList<ExtractResult> extracted, DetectSummary detected, CancellationToken ct)
    {
        var photos = new List<Photo>();
        var manifest = extracted[^1].Manifest;
        var item = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).First();
        var car = await line.Catalog.GetImageAsync(item.ParentId ?? item.ImageId, ct)
            ?? throw new SkillmakerException($"Image {item.ParentId ?? item.ImageId} of manifest {manifest.Id[..12]} is not in the catalog.");
        var truth = plan.VariantMake is { } make && manifest.Name == plan.Variant?.DatasetName ? $"{make} / {item.Class}" : item.Class;
        photos.Add(await PhotoAsync(line, car, $"a car photo from the test split of {manifest.Name} (never trained on)", truth, ct));

        var scenes = (await line.Catalog.ListImagesAsync(new ImageQuery { Source = ScenesSource, Kind = ImageKind.Original }, ct))
            .ToDictionary(s => s.Image.Id, s => s.OriginalFileName ?? s.Image.Id);
        var outcomes = detected.Images.Where(i => scenes.ContainsKey(i.ImageId)).OrderBy(i => scenes[i.ImageId], StringComparer.Ordinal).ToList();
        foreach (var (wanted, preferred, why) in new[]
        {
            (true, PreferredVehicleScene, "a scene with a vehicle the skills never saw"),
            (false, PreferredEmptyScene, "a scene without any vehicle"),
        })
        {
            var matching = outcomes.Where(o => (o.Outcome is DetectionOutcome.One or DetectionOutcome.Several) == wanted && o.Outcome != DetectionOutcome.Failed).ToList();
            var chosen = matching.FirstOrDefault(o => scenes[o.ImageId] == preferred) ?? matching.FirstOrDefault();
            if (chosen is null) continue;
            var details = await line.Catalog.GetImageAsync(chosen.ImageId, ct);
            photos.Add(await PhotoAsync(line, details!, why, null, ct));
        }
        return photos;
    }

    private async Task<Photo> PhotoAsync(LineServices line, ImageDetails image, string why, string? truth, CancellationToken ct)
    {
        var occurrence = image.Occurrences[0];
        var relative = Path.GetRelativePath(assets.Root, occurrence.OriginalPath);
        var name = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? occurrence.OriginalFileName : relative;
        var bytes = await line.Blobs.ReadAllBytesAsync(image.Image.Id, ct);
        var type = Path.GetExtension(occurrence.OriginalFileName).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => "application/octet-stream",
        };
        return new Photo(name, why, truth, bytes, type);
    }

    private sealed record Served(DemoServing Serving, IReadOnlyList<DemoAnswer> Answers);

    private async Task<Served> ServeAndClassifyAsync(LineServices line, DetectorOverrides detector, string servingPath, IReadOnlyList<Photo> photos, IProgress<(int Done, int Total)> progress, CancellationToken ct)
    {
        var (client, key) = await line.ApiKeys().AddAsync(ApiClientName, ct);
        var inference = (await line.PrepareInferenceAsync(servingPath, ct, detector))!;
        var answers = new List<DemoAnswer>();
        string address;
        IReadOnlyDictionary<string, int> served;
        var app = await host.StartServerAsync(line, inference, ct);
        await using (app)
        {
            address = app.Address;
            served = app.ServedVersions;
            LogServing(_logger, address);
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
            progress.Report((0, photos.Count));
            foreach (var photo in photos)
            {
                answers.Add(await ClassifyAsync(http, key, photo, ct));
                progress.Report((answers.Count, photos.Count));
            }
            await app.StopAsync(ct);
        }
        return new Served(new DemoServing(servingPath, address, client.Name, served, Stopped: true), answers);
    }

    private static async Task<DemoAnswer> ClassifyAsync(HttpClient http, string key, Photo photo, CancellationToken ct)
    {
        using var content = new ByteArrayContent(photo.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(photo.MediaType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = content };
        request.Headers.Add(ApiHeaders.ApiKey, key);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new SkillmakerException($"POST /v1/classify with {photo.Name} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}");
        var answer = JsonSerializer.Deserialize<ClassifyAnswer>(body, WebJson)
            ?? throw new SkillmakerException($"POST /v1/classify with {photo.Name} answered an empty body; expected a classification.");
        return new DemoAnswer
        {
            Photo = photo.Name,
            Why = photo.Why,
            Truth = photo.Truth,
            HttpStatus = (int)response.StatusCode,
            SkillVersionsHeader = response.Headers.TryGetValues(ApiHeaders.SkillVersions, out var v) ? string.Join(", ", v) : "",
            Answer = answer,
        };
    }

    private static async Task<DemoCatalog> CatalogSummaryAsync(LineServices line, CancellationToken ct)
    {
        var counts = await line.Catalog.CountAsync(ct);
        var sources = (await line.Catalog.ListIngestRunsAsync(ct)).Select(r => r.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var originals = await line.Catalog.ListImagesAsync(new ImageQuery { Kind = ImageKind.Original }, ct);
        var blobs = line.Blobs.Location;
        var blobFiles = Directory.Exists(blobs) ? Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Count() : 0;
        return new DemoCatalog(line.Catalog.Location, counts, sources, originals.Count(o => o.LabelHints.Count > 0), blobs, blobFiles);
    }

    private static List<DemoArtefact> Artefacts(Workspace workspace, DemoCatalog catalog, DemoCrowd crowd, IReadOnlyList<DemoSkillResult> skills, DemoServing serving)
    {
        var list = new List<DemoArtefact>
        {
            new("workspace", workspace.Root, $"config {workspace.ConfigPath}"),
            new("catalog", catalog.Path, $"{catalog.Counts.Originals} photos from {catalog.Sources.Count} sources ({string.Join(", ", catalog.Sources)}), {catalog.ImagesWithLabelHints} with label hints"),
            new("blobs", catalog.Blobs, $"{catalog.BlobFiles} files named by their SHA-256"),
            new("crops", catalog.Blobs, $"{catalog.Counts.Crops} vehicle crops (in the catalog and blob store); {crowd.TasksQueued} crowd tasks queued"),
        };
        foreach (var s in skills)
        {
            list.Add(new($"{s.Name}: dataset definition", s.DefinitionFile, "allowLabelHints: true (the demo's crowd step)"));
            list.Add(new($"{s.Name}: manifest", s.ManifestJson, $"{s.ManifestId[..12]}: {s.TrainItems} train, {s.TestItems} test; CSV {s.ManifestCsv}"));
            list.Add(new($"{s.Name}: skill config", s.ConfigFile, "train it again with ./skillmaker train"));
            list.Add(new($"{s.Name}: skill package", s.Package, $"v{s.Version}, top-1 {Numbers.Percent(s.Accuracy)} on {s.TestItems} test crops"));
            list.Add(new($"{s.Name}: evaluation", s.Evaluation, $"balanced accuracy {Numbers.Percent(s.BalancedAccuracy)}, p95 {Numbers.OneDecimal(s.LatencyP95Ms)} ms"));
            list.Add(new($"{s.Name}: report PDF", s.Report, "metrics, confusion matrix, failures with where the model looked"));
            list.Add(new($"{s.Name}: promotion record", s.PromotionRecord, s.Promoted ? "promoted to production" : "not promoted"));
        }
        foreach (var file in skills.SelectMany(s => s.DeploymentFiles).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            list.Add(DeployArtefact(file));
        list.Add(new("serving config", serving.Config, $"cascade {string.Join(" → ", serving.SkillVersions.Keys.Prepend("vehicle"))}; ./skillmaker serve --workspace {workspace.Root}"));
        return list;
    }

    private static DemoArtefact DeployArtefact(string path) => Path.GetFileName(path) switch
    {
        Promotion.DeploymentConfig.TemplateFile => new("deploy: CloudFormation", path, "Skills mapping; a promotion changes only that skill's Tag"),
        Promotion.DeploymentConfig.ComposeFile => new("deploy: docker compose", path, "every production skill service, for a full-stack test"),
        Promotion.DeploymentConfig.BundleDirectory => new("deploy: image contents", path, "package, backbone, detector, alias, key hashes; the Dockerfile copies it"),
        _ => new("deploy: Dockerfile", path, "the skill's service image; rewritten on promotion"),
    };

    private async Task<T> StageAsync<T>(string name, Func<Task<T>> work, Func<T, string> summary, Func<T, object> details)
    {
        var started = context.Time.GetTimestamp();
        var value = await work();
        var seconds = context.Time.GetElapsedTime(started).TotalSeconds;
        var line = summary(value);
        _stages.Add(new DemoStage(name, Math.Round(seconds, 1), line, details(value)));
        LogStage(_logger, name, seconds);
        host.StageDone(name, seconds, line);
        return value;
    }

    private static int Count(DatasetManifest manifest, Split split) => manifest.Items.Count(i => i.Split == split);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo stage {Stage} done in {Seconds:0.0} s")]
    private static partial void LogStage(ILogger logger, string stage, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo server listening on {Address}")]
    private static partial void LogServing(ILogger logger, string address);
}
