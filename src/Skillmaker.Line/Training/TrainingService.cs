using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Augmentation;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Detection;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Reports;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Vision.Heads;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Training;

/// <summary>Where a training run is: <paramref name="Stage"/> is extract, embeddings, head, evaluation or report.</summary>
public readonly record struct TrainingProgress(string Skill, string Stage, int Done, int Total)
{
    /// <summary>A trainer's progress as stage bars show it: "make: embeddings" 40 of 120.</summary>
    public static IProgress<TrainingProgress> AsStages(IProgress<(string Stage, int Done, int Total)> inner) =>
        inner.Map((TrainingProgress p) => ($"{p.Skill}: {p.Stage}", p.Done, p.Total));
}

/// <summary>A skill ready to train: config checked, profile chosen, backbone opened and checked,
/// manifest extracted. Everything that can be wrong with the input fails here, before long work.</summary>
public sealed class PreparedTraining : IDisposable
{
    internal PreparedTraining(LoadedSkillConfig skill, string profileName, ProfileSpec profile, int threads, Backbone backbone, string backboneFile, string backboneSha256, DatasetManifest manifest, bool manifestCreated)
    {
        BackboneFile = backboneFile;
        Skill = skill;
        ProfileName = profileName;
        Profile = profile;
        Threads = threads;
        Backbone = backbone;
        BackboneSha256 = backboneSha256;
        Manifest = manifest;
        ManifestCreated = manifestCreated;
    }

    public LoadedSkillConfig Skill { get; }
    public string ProfileName { get; }
    public ProfileSpec Profile { get; }
    public int Threads { get; }
    public Backbone Backbone { get; }
    /// <summary>The file the backbone was read from: the config's, or this worker's copy of it.</summary>
    public string BackboneFile { get; }
    public string BackboneSha256 { get; }
    public DatasetManifest Manifest { get; }
    public bool ManifestCreated { get; }

    public void Dispose() => Backbone.Dispose();
}

/// <summary>One skill of a train-all run: its result, or why it failed.</summary>
public sealed record TrainOutcome(string ConfigPath, string Skill, TrainResult? Result, string? Error);

public sealed record TrainResult
{
    public required SkillPackageInfo Package { get; init; }
    public required string Directory { get; init; }
    public required bool ManifestCreated { get; init; }
    public required EmbeddingStats Embeddings { get; init; }
    /// <summary>What workers computed before <see cref="Embeddings"/> found it in the cache; null when all was done here.</summary>
    public WorkerEmbeddingStats? EmbeddingsOnWorkers { get; init; }
    public required EvaluationSummary Evaluation { get; init; }
    public required double HeadSeconds { get; init; }
    public required double EvaluationSeconds { get; init; }
    public required double ReportSeconds { get; init; }
    public required double TotalSeconds { get; init; }
    public required string ReportPath { get; init; }
    public required IReadOnlyList<DeliveryResult> Notifications { get; init; }
    /// <summary>The worker machine that trained it (train-all on workers); null when trained in this process.</summary>
    public string? TrainedOn { get; init; }
}

/// <summary>Config to immutable skill package: embeddings (batched, cached), head (ML.NET or knn),
/// evaluation of the finished package on the test split, report, notification.</summary>
public sealed partial class TrainingService(TrainingEnvironment environment)
{
    private readonly TrainingEnvironment _env = environment;
    private readonly ILogger _logger = environment.Logging.CreateLogger<TrainingService>();

    public TrainingEnvironment Environment => _env;

    /// <param name="threads">Thread budget for this skill; default the profile's.</param>
    public async Task<PreparedTraining> PrepareAsync(LoadedSkillConfig skill, string? profileName, int? threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var (name, profile) = skill.ResolveProfile(profileName);
        var budget = Math.Max(1, Math.Min(threads ?? profile.EffectiveThreads, profile.EffectiveThreads));
        var file = skill.BackboneCopy ?? skill.BackbonePath;
        var backbone = Backbone.Open(file, skill.Config.Network.Backbone, budget, profile.ExecutionProvider);
        try
        {
            var sha = await Sha256Hex.OfFileAsync(file, cancellationToken);
            progress?.Report(new TrainingProgress(skill.Name, "extract", 0, 1));
            if (skill.Definition.Role == DatasetRole.Test)
                throw new InvalidSettingException($"Skill config {skill.Path}", "definition.role",
                    "is test: every item of a test set is test, so there is nothing to train on; train on a definition with role train " +
                    "and evaluate on this one with `skillmaker eval NAME@VERSION --dataset DEF.json`");
            DatasetManifest manifest;
            var created = false;
            if (skill.Config.Manifest is { } id)
                manifest = await _env.Datasets.GetManifestAsync(id, cancellationToken)
                    ?? throw new SkillmakerException($"manifest: no manifest with id {id} in {_env.Catalog.Location}; see `skillmaker manifests list`.");
            else
            {
                var extracted = await _env.Extractor.ExtractAsync(skill.Definition, null, cancellationToken);
                (manifest, created) = (extracted.Manifest, extracted.Created);
            }
            if (manifest.Classes.Count < 2)
                throw new SkillmakerException($"Manifest {manifest.Id[..12]} has {manifest.Classes.Count} class(es); a skill needs at least two.");
            if (!manifest.Items.Any(i => i.Split == Split.Train))
                throw new SkillmakerException($"Manifest {manifest.Id[..12]} has no training items: all {manifest.Items.Count} are test (earlier test groups stay test), so nothing can be trained; add labelled photos or use a definition whose items were never test.");
            if (!manifest.Items.Any(i => i.Split == Split.Test) && skill.Config.Evaluation.Folds is null)
                throw new SkillmakerException($"Manifest {manifest.Id[..12]} has no test images, so the skill could not be evaluated; raise the definition's testFraction, or set evaluation.folds (e.g. 5) in the skill config to evaluate by cross-validation.");
            progress?.Report(new TrainingProgress(skill.Name, "extract", 1, 1));
            return new PreparedTraining(skill, name, profile, budget, backbone, file, sha, manifest, created);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>Prepares and trains one skill: <see cref="PrepareAsync"/>, then <see cref="TrainAsync(PreparedTraining, IProgress{TrainingProgress}?, CancellationToken)"/>.</summary>
    public async Task<TrainResult> TrainAsync(LoadedSkillConfig skill, string? profileName, int? threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using var prepared = await PrepareAsync(skill, profileName, threads, progress, cancellationToken);
        return await TrainAsync(prepared, progress, cancellationToken);
    }

    public Task<TrainResult> TrainAsync(PreparedTraining prepared, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        TrainAsync(prepared, owner: null, progress, cancellationToken);

    /// <param name="owner">Who reserves the version in a shared skill index (a job's run and batch, so its
    /// retry gets the same number); default a new id.</param>
    public async Task<TrainResult> TrainAsync(PreparedTraining prepared, string? owner, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var skill = prepared.Skill;
        var config = skill.Config;
        var manifest = prepared.Manifest;
        var seed = _env.Workspace.Config.Seed;
        var classes = manifest.Classes;
        var train = manifest.Items.Where(i => i.Split == Split.Train).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();
        var test = manifest.Items.Where(i => i.Split == Split.Test).OrderBy(i => i.ImageId, StringComparer.Ordinal).ToList();

        // 1. Embeddings: each training image and its augmented copies, and each test image as it is.
        var copies = config.Augmentations.CopiesPerImage;
        var steps = copies > 0 ? config.Augmentations.Steps ?? skill.Definition.Augmentations ?? AugmentationSteps.Defaults : [];
        var origins = await CropOriginsAsync(train, steps, cancellationToken);
        var (requests, rowLabels) = TrainingRows(train, classes, copies, steps, origins);
        var trainRows = requests.Count;
        requests.AddRange(test.Select(t => new EmbeddingRequest(t.ImageId)));
        var embedderOptions = new EmbedderOptions
        {
            BatchSize = prepared.Profile.BatchSize,
            // Decoding and resizing cost more than inference for this kind of backbone; both share the budget.
            DecodeParallelism = prepared.Threads,
            AugmentationSteps = copies > 0 ? steps : null,
            Seed = seed,
        };
        var embedder = new Embedder(prepared.Backbone, prepared.BackboneSha256, _env.EmbeddingCache, _env.ReadImageAsync, embedderOptions);
        // What another machine already computed comes from the shared index, not the backbone.
        var shared = _env.SharedEmbeddings is { } index
            ? await index.ImportAsync(_env.EmbeddingCache, requests.Select(embedder.KeyOf), prepared.Backbone.EmbeddingSize, cancellationToken)
            : null;
        var onWorkers = _env.Offload is { } offload
            ? await OffloadAsync(offload, prepared, embedder, embedderOptions, requests, Stage(progress, skill.Name, "embeddings on workers"), cancellationToken)
            : null;
        var (vectors, embeddingStats) = await embedder.EmbedAsync(requests, Stage(progress, skill.Name, "embeddings"), cancellationToken);
        LogEmbedded(skill.Name, embeddingStats.Requested, embeddingStats.CacheHits, embeddingStats.Computed, embeddingStats.BackboneRuns);
        // Computed here (on workers, the embed jobs published their packs themselves): published for every machine.
        if (shared is { Missing.Count: > 0 } && onWorkers is null)
            await _env.SharedEmbeddings!.PublishAsync(_env.EmbeddingCache, shared.Missing, prepared.Backbone.EmbeddingSize, cancellationToken);

        // 2. Head.
        progress?.Report(new TrainingProgress(skill.Name, "head", 0, 1));
        var headWatch = Stopwatch.StartNew();
        var weights = manifest.ClassWeights is { } w ? rowLabels.Select(l => (float)w[classes[l]]).ToList() : null;
        var groups = Enumerable.Range(0, trainRows).Select(i => i / (copies + 1)).ToList();
        var trained = HeadFactory.Train(config.Network.Head, new HeadTrainingData(vectors[..trainRows], rowLabels, classes.Count, weights, groups), unchecked((int)seed) & int.MaxValue);
        var testVectors = vectors[trainRows..];
        if (config.Network.TestTime == "hflip" && test.Count > 0)
        {
            // As served: the mean of each test image's embedding and its mirror image's (the mirror through the cache).
            var mirror = new Embedder(prepared.Backbone, prepared.BackboneSha256, _env.EmbeddingCache, _env.ReadImageAsync,
                embedderOptions with { AugmentationSteps = [new AugmentationStep { Op = "hflip", P = 1 }], Seed = 0 });
            var (mirrored, _) = await mirror.EmbedAsync([.. test.Select(t => new EmbeddingRequest(t.ImageId, 1))], null, cancellationToken);
            testVectors = [.. testVectors.Select((v, i) => v.Zip(mirrored[i], (a, b) => (a + b) / 2).ToArray())];
        }
        var openSet = FitOpenSet(config.Serving, vectors[..trainRows], rowLabels, classes.Count, copies, testVectors);
        var headSeconds = headWatch.Elapsed.TotalSeconds;
        progress?.Report(new TrainingProgress(skill.Name, "head", 1, 1));
        cancellationToken.ThrowIfCancellationRequested();

        // 3. Package: written into a reserved temporary folder, evaluated as it will be served, moved into place.
        await using var reservation = await _env.Skills.ReserveAsync(skill.Name, owner, cancellationToken);
        var dir = reservation.TemporaryDirectory;
        // Files go into a private temporary folder; the rename in Commit is the atomic step.
        await File.WriteAllBytesAsync(Path.Combine(dir, trained.FileName), trained.File, cancellationToken);
        if (openSet is not null) await File.WriteAllBytesAsync(Path.Combine(dir, openSet.Value.Info.File), openSet.Value.File, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, SkillPackageInfo.ConfigFileName), skill.EffectiveJson, cancellationToken);
        var info = new SkillPackageInfo
        {
            Name = skill.Name,
            Version = reservation.Version,
            CreatedAt = _env.Time.GetUtcNow(),
            Labels = classes,
            Head = new HeadInfo { Type = config.Network.Head.Type, File = trained.FileName, Sha256 = Sha256Hex.Of(trained.File), Params = trained.Params ?? HeadParams.Effective(config.Network.Head) },
            Backbone = new BackboneInfo { Path = skill.BackbonePath, Sha256 = prepared.BackboneSha256, Input = prepared.Backbone.InputName, Output = prepared.Backbone.OutputName, EmbeddingSize = prepared.Backbone.EmbeddingSize },
            Preprocessing = config.Network.Backbone.Preprocessing,
            TestTime = config.Network.TestTime,
            ManifestId = manifest.Id,
            Dataset = manifest.Name,
            CodeVersion = BuildInfo.CodeVersion,
            ConfigHash = skill.ConfigHash,
            Metrics = new PackageMetrics { TestImages = 0, Accuracy = 0, BalancedAccuracy = 0, TopK = [], CalibrationError = 0, LatencyP50Ms = 0, LatencyP95Ms = 0 },
            Training = new TrainingInfo
            {
                TrainImages = train.Count,
                TrainExamples = trainRows,
                CopiesPerImage = copies,
                AugmentationSteps = steps,
                Seed = seed,
                ClassWeights = manifest.ClassWeights,
            },
            Profile = prepared.ProfileName,
            Runtime = prepared.Profile with { Threads = prepared.Threads },
            Gate = config.Gate,
            Serving = config.Serving,
            OpenSet = openSet?.Info,
            Notify = config.Notify is { } n ? JsonSerializer.SerializeToElement(n, SkillJson.Options) : null,
        };
        await WriteInfoAsync(dir, info, cancellationToken);

        var evalWatch = Stopwatch.StartNew();
        using var predictor = SkillPredictor.Create(SkillPackage.Load(dir, prepared.BackboneFile), new PredictorOptions { Threads = prepared.Threads });
        var method = new EvaluationMethodInfo { Method = EvaluationMethodInfo.TestSplit };
        EvaluationSummary? crossValidation = null;
        if (config.Evaluation.Folds is { } folds)
        {
            progress?.Report(new TrainingProgress(skill.Name, "cross-validation", 0, folds));
            var (predictions, foldAccuracies) = CrossValidation.Run(config.Network.Head, vectors[..trainRows], rowLabels, train, copies, classes.Count, folds, seed);
            crossValidation = EvaluationMetrics.Summarize(skill.Name, reservation.Version, manifest.Id, _env.Time.GetUtcNow(), Evaluator.Machine, classes, predictions);
            var mean = foldAccuracies.Average();
            method = method with
            {
                Folds = folds,
                CrossValidationAccuracy = mean,
                CrossValidationAccuracyStd = Math.Sqrt(foldAccuracies.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, foldAccuracies.Count - 1)),
                FoldAccuracies = foldAccuracies,
                CrossValidationImages = predictions.Count,
            };
            progress?.Report(new TrainingProgress(skill.Name, "cross-validation", folds, folds));
        }
        EvaluationSummary evaluation;
        if (test.Count > 0)
            evaluation = (await _env.Evaluator.EvaluateAsync([predictor], manifest, Stage(progress, skill.Name, "evaluation"), cancellationToken))[0];
        else
        {
            // No test split (testFraction 0): the figures are the cross-validation's, with latency timed on training images.
            var (p50, p95) = await _env.Evaluator.TimeAsync(predictor, [.. train.Take(Evaluator.SmallSplit / 10).Select(t => t.ImageId)], cancellationToken);
            evaluation = crossValidation! with { LatencyP50Ms = p50, LatencyP95Ms = p95 };
            method = method with { Method = EvaluationMethodInfo.CrossValidation };
        }
        var evaluationSeconds = evalWatch.Elapsed.TotalSeconds;
        info = info with { Metrics = PackageMetrics.From(evaluation), EvaluatedBy = method };
        await WriteInfoAsync(dir, info, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, SkillPackageInfo.EvaluationFileName), JsonSerializer.Serialize(evaluation, SkillJson.Options), cancellationToken);

        progress?.Report(new TrainingProgress(skill.Name, "report", 0, 1));
        var reportWatch = Stopwatch.StartNew();
        var builder = _env.Reports;
        var report = await builder.BuildAsync(predictor, evaluation, manifest, gate: null, cancellationToken);
        await ReportBuilder.WritePdfAsync(report, Path.Combine(dir, SkillPackageInfo.ReportFileName), cancellationToken);
        var reportSeconds = reportWatch.Elapsed.TotalSeconds;
        progress?.Report(new TrainingProgress(skill.Name, "report", 1, 1));

        var final = await reservation.CommitAsync(prepared.BackboneFile, cancellationToken);
        await _env.Registry.SaveEvaluationAsync(evaluation, cancellationToken);
        LogTrained(skill.Name, info.Version, evaluation.Accuracy, final);

        var notifications = await _env.NotifyAsync(config.Notify, new Notification(NotificationEvent.TrainFinished, skill.Name, info.Version,
            $"{skill.Name} v{info.Version} trained: accuracy {Pct(evaluation.Accuracy)}",
            $"{skill.Name} v{info.Version} ({info.Head.Type} head on {Path.GetFileName(skill.BackbonePath)}) was trained on manifest {manifest.Id[..12]}: " +
            $"accuracy {Pct(evaluation.Accuracy)}, top-{evaluation.TopK.Count} {Pct(evaluation.TopK[^1])}, p95 latency {evaluation.LatencyP95Ms.ToString("0.0", CultureInfo.InvariantCulture)} ms " +
            $"on {evaluation.Images} test images. Package: {final}. Promote with `skillmaker promote {skill.Name}@{info.Version}`."), cancellationToken);

        return new TrainResult
        {
            Package = info,
            Directory = final,
            ManifestCreated = prepared.ManifestCreated,
            Embeddings = embeddingStats,
            EmbeddingsOnWorkers = onWorkers,
            Evaluation = evaluation,
            HeadSeconds = headSeconds,
            EvaluationSeconds = evaluationSeconds,
            ReportSeconds = reportSeconds,
            TotalSeconds = watch.Elapsed.TotalSeconds,
            ReportPath = Path.Combine(final, SkillPackageInfo.ReportFileName),
            Notifications = notifications,
        };
    }

    /// <summary>Hands the embeddings missing from the cache to <paramref name="offload"/> and stores what comes
    /// back, so the embedder then finds everything cached. Keys are claimed first, as the embedder claims
    /// them: concurrent skills of one train-all needing the same image send it to the workers once.</summary>
    private async Task<WorkerEmbeddingStats?> OffloadAsync(IEmbeddingOffload offload, PreparedTraining prepared, Embedder embedder, EmbedderOptions options,
        IReadOnlyList<EmbeddingRequest> requests, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var cache = _env.EmbeddingCache;
        var owned = new Dictionary<EmbeddingKey, EmbeddingRequest>();
        foreach (var request in requests)
        {
            var key = embedder.KeyOf(request);
            if (!owned.ContainsKey(key) && !cache.Contains(key) && cache.TryClaim(key, out _)) owned.Add(key, request);
        }
        if (owned.Count == 0) return null;
        try
        {
            var (vectors, stats) = await offload.EmbedAsync(prepared, embedder, options, [.. owned.Values], progress, cancellationToken);
            foreach (var (key, vector) in vectors)
                if (owned.Remove(key)) cache.Complete(key, vector);
            return stats;
        }
        finally
        {
            // Whatever did not come back is given up, so the embedder (or a concurrent skill) computes it.
            foreach (var key in owned.Keys) cache.Release(key);
        }
    }

    /// <summary>Trains several skills at once within <paramref name="threadBudget"/> threads in total
    /// (default: the largest thread count of their profiles). All are prepared first, so a bad config
    /// stops everything before long work; then they train concurrently, sharing the embedding cache
    /// (an embedding two skills need is computed once). One skill failing does not stop the others.</summary>
    public async Task<IReadOnlyList<TrainOutcome>> TrainAllAsync(IReadOnlyList<LoadedSkillConfig> skills, string? profileName, int? threadBudget, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (skills.Count == 0) return [];
        var budget = threadBudget ?? skills.Max(s => s.ResolveProfile(profileName).Profile.EffectiveThreads);
        var concurrency = Math.Clamp(budget, 1, skills.Count);
        var perSkill = Math.Max(1, budget / concurrency);
        var prepared = await PrepareAllAsync(skills, profileName, perSkill, progress, cancellationToken);
        try
        {
            using var slots = new SemaphoreSlim(concurrency);
            var runs = prepared.Select(async p =>
            {
                await slots.WaitAsync(cancellationToken);
                try
                {
                    return new TrainOutcome(p.Skill.Path, p.Skill.Name, await Task.Run(() => TrainAsync(p, progress, cancellationToken), cancellationToken), null);
                }
                catch (SkillmakerException ex)
                {
                    return new TrainOutcome(p.Skill.Path, p.Skill.Name, null, ex.Message);
                }
                finally
                {
                    slots.Release();
                }
            }).ToList();
            return await Task.WhenAll(runs);
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
        }
    }

    /// <summary>Prepares every skill, or none: a bad config stops everything before long work, naming
    /// every config that cannot be trained.</summary>
    public async Task<IReadOnlyList<PreparedTraining>> PrepareAllAsync(IReadOnlyList<LoadedSkillConfig> skills, string? profileName, int? threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var prepared = new List<PreparedTraining>();
        var errors = new List<string>();
        try
        {
            foreach (var skill in skills)
            {
                try
                {
                    prepared.Add(await PrepareAsync(skill, profileName, threads, progress, cancellationToken));
                }
                catch (SkillmakerException ex)
                {
                    errors.Add($"{skill.Path}: {ex.Message}");
                }
            }
        }
        catch
        {
            foreach (var p in prepared) p.Dispose();
            throw;
        }
        if (errors.Count == 0) return prepared;
        foreach (var p in prepared) p.Dispose();
        throw new SkillmakerException($"{errors.Count} of {skills.Count} skill configs cannot be trained; nothing was trained:\n  " + string.Join("\n  ", errors));
    }

    /// <summary>Open-set defaults, chosen with bench <c>openset</c> (leave-classes-out on the car classes).</summary>
    internal const int OpenSetK = 5;
    internal const double OpenSetShrinkage = 0.8;
    internal const bool OpenSetRoot = false;
    /// <summary>Fewest test images to calibrate on; with fewer, the threshold is cross-fitted on the training images.</summary>
    internal const int OpenSetMinTestImages = 20;

    /// <summary>The out-of-distribution scorer fitted on every training row, with its threshold set so that
    /// <see cref="ServingSpec.Coverage"/> of held-out known-class images is answered: the test split's
    /// images (held out from the head and the scorer), or, with fewer than <see cref="OpenSetMinTestImages"/>,
    /// the training images by cross-fitting (which is conservative for mahalanobis: a scorer fitted on
    /// fewer rows sees larger distances). Null when the config says <c>openSet: none</c>.</summary>
    internal static (OpenSetInfo Info, byte[] File)? FitOpenSet(ServingSpec serving, IReadOnlyList<float[]> trainRows, IReadOnlyList<int> labels, int classes, int copies, IReadOnlyList<float[]> test)
    {
        if (serving.OpenSet == "none") return null;
        var method = serving.OpenSet;
        // Rows come image by image: the original, then its copies (see TrainingRows).
        var groups = Enumerable.Range(0, trainRows.Count).Select(i => i / (copies + 1)).ToList();
        var originals = Enumerable.Range(0, trainRows.Count).Select(i => i % (copies + 1) == 0).ToList();
        var scorer = OpenSetScorer.Fit(method, trainRows, labels, classes, OpenSetK, OpenSetShrinkage, OpenSetRoot);
        var testScores = test.Count > 0 ? scorer.Score(test) : [];
        float threshold;
        string how;
        if (testScores.Length >= OpenSetMinTestImages)
            (threshold, how) = (OpenSetScorer.Threshold(testScores, serving.Coverage), $"the {testScores.Length} test-split images");
        else
        {
            var c = OpenSetScorer.Calibrate(method, trainRows, labels, classes, groups, originals, serving.Coverage, OpenSetK, OpenSetShrinkage, OpenSetRoot);
            (threshold, how) = (c.Threshold, $"{c.Folds}-fold cross-fitting on {c.HeldOutImages} training images");
        }
        var file = scorer.Serialize();
        var parameters = method == "knn"
            ? JsonSerializer.SerializeToElement(new { k = OpenSetK, root = OpenSetRoot }, SkillJson.Options)
            : JsonSerializer.SerializeToElement(new { shrinkage = OpenSetShrinkage, root = OpenSetRoot }, SkillJson.Options);
        return (new OpenSetInfo
        {
            Method = method,
            File = OpenSetScorer.FileName,
            Sha256 = Sha256Hex.Of(file),
            Params = parameters,
            Coverage = serving.Coverage,
            Threshold = threshold,
            Calibration = how,
            TestCoverage = testScores.Length == 0 ? 0 : testScores.Count(s => s <= threshold) / (double)testScores.Length,
            TestImages = testScores.Length,
        }, file);
    }

    /// <summary>Where each training crop was cut from, when a box step could grow it from its parent photo.</summary>
    private async Task<IReadOnlyDictionary<string, CropOrigin>?> CropOriginsAsync(IReadOnlyList<ManifestItem> train, IReadOnlyList<AugmentationStep> steps, CancellationToken cancellationToken)
    {
        if (_env.FindCropOrigin is not { } find || !steps.Any(s => s.Op == "box")) return null;
        var origins = new Dictionary<string, CropOrigin>(StringComparer.Ordinal);
        foreach (var item in train.Where(i => i.ParentId is not null))
            if (await find(item.ImageId, cancellationToken) is { } origin) origins[item.ImageId] = origin;
        return origins;
    }

    /// <summary>The embeddings a head trains on: each training image (in id order) as it is, then its
    /// augmented copies, with the class index of each row. A copy-paste donor is another training image
    /// of the same class (fixed by position, so reruns agree): what it pastes cannot change the label.
    /// A crop with a known origin (<paramref name="origins"/>) carries its parent photo for the box step.</summary>
    internal static (List<EmbeddingRequest> Requests, List<int> Labels) TrainingRows(IReadOnlyList<ManifestItem> train, IReadOnlyList<string> classes, int copies, IReadOnlyList<AugmentationStep> steps,
        IReadOnlyDictionary<string, CropOrigin>? origins = null)
    {
        var pasting = steps.Any(s => s.Op == "copy-paste");
        var byClass = train.Select((item, i) => (item, i)).GroupBy(x => x.item.Class).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToList());
        var requests = new List<EmbeddingRequest>();
        var labels = new List<int>();
        for (var i = 0; i < train.Count; i++)
        {
            var origin = origins?.GetValueOrDefault(train[i].ImageId);
            var sameClass = byClass[train[i].Class];
            var position = sameClass.IndexOf(i);
            for (var copy = 0; copy <= copies; copy++)
            {
                string? donor = null;
                if (copy > 0 && pasting && sameClass.Count > 1)
                {
                    var d = sameClass[(position + copy) % sameClass.Count];
                    if (d == i) d = sameClass[(position + copy + 1) % sameClass.Count];
                    donor = train[d].ImageId;
                }
                requests.Add(copy == 0 || origin is null
                    ? new EmbeddingRequest(train[i].ImageId, copy, donor)
                    : new EmbeddingRequest(train[i].ImageId, copy, donor, origin.ParentId, origin.Rect));
                labels.Add(IndexOf(classes, train[i].Class));
            }
        }
        return (requests, labels);
    }

    private static async Task WriteInfoAsync(string dir, SkillPackageInfo info, CancellationToken cancellationToken) =>
        await File.WriteAllTextAsync(Path.Combine(dir, SkillPackageInfo.FileName), JsonSerializer.Serialize(info, SkillJson.Options), cancellationToken);

    private static StageAdapter? Stage(IProgress<TrainingProgress>? progress, string skill, string stage) =>
        progress is null ? null : new StageAdapter(progress, skill, stage);

    private static int IndexOf(IReadOnlyList<string> classes, string name)
    {
        for (var i = 0; i < classes.Count; i++) if (classes[i] == name) return i;
        throw new SkillmakerException($"Class '{name}' is not among the manifest's classes.");
    }

    private static string Pct(double v) => Numbers.Percent(v);

    private sealed class StageAdapter(IProgress<TrainingProgress> inner, string skill, string stage) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => inner.Report(new TrainingProgress(skill, stage, value.Done, value.Total));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill}: {Requested} embeddings, {Hits} from cache, {Computed} computed in {Runs} backbone runs")]
    private partial void LogEmbedded(string skill, int requested, int hits, int computed, int runs);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill} v{Version} trained (accuracy {Accuracy:P1}): {Directory}")]
    private partial void LogTrained(string skill, int version, double accuracy, string directory);
}
