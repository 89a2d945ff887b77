using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Jobs;
using Skillmaker.Skills;

namespace Skillmaker.Training;

/// <summary>One skill of a train-all run as its job carries it: the config as the command loaded and
/// checked it, and the manifest the command extracted, so a worker trains exactly what was asked.</summary>
public sealed record TrainJobItem
{
    public required string ConfigPath { get; init; }
    /// <summary>The config as read (<see cref="SkillConfig"/> JSON).</summary>
    public required string Config { get; init; }
    public required string Definition { get; init; }
    /// <summary>Where the submitter reads the backbone; packages record this path.</summary>
    public required string BackbonePath { get; init; }
    /// <summary>The backbone's blob id: workers fetch it from the blob store.</summary>
    public required string BackboneSha256 { get; init; }
    public required string EffectiveJson { get; init; }
    public required string ConfigHash { get; init; }
    public required string ManifestId { get; init; }
    public bool ManifestCreated { get; init; }
    public string? Profile { get; init; }
    /// <summary>Thread budget on the worker (capped by its cores); default the profile's.</summary>
    public int? Threads { get; init; }
}

/// <summary>What every job of a train run shares: the skills in batch order, for the waiting side.</summary>
public sealed record TrainRunContext(IReadOnlyList<TrainRunSkill> Skills);

public sealed record TrainRunSkill(string Name, string ConfigPath);

/// <summary>train-all as batch jobs, one per skill (queue <c>train</c>). The command loads, checks and
/// prepares every skill (manifests extracted here, so a bad config fails before anything is queued) and
/// stages the backbones in the blob store. A worker trains the skill from end to end with the embeddings
/// cache of its machine, evaluates and reports, and publishes the package to the shared skill store; the
/// command then fetches each package, so it prints the same summary as a run in one process.
/// <para>A job run again reserves the same version (the index knows its owner: run and batch) and either
/// finds it published or trains it again; a version is never published twice or under two numbers.</para></summary>
public sealed partial class TrainJobs(TrainingService training, BlobFileCache files, ILogger<TrainJobs> logger) : IBatchHandler
{
    public const string Kind = "train";

    private readonly TrainingEnvironment _env = training.Environment;

    /// <summary>Prepares every skill here (a bad config stops everything before anything is queued),
    /// stages the backbones and enqueues one job per skill.</summary>
    public async Task<(string RunId, JobRunProgress Progress)> SubmitAsync(IReadOnlyList<LoadedSkillConfig> skills, string? profileName, int? threads,
        JobDispatcher dispatcher, WorkspaceRef workspace, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (_env.Skills.Shared is null)
            throw new SkillmakerException($"train-all on workers needs a skill store every machine shares: a PostgreSQL catalog (this one is {_env.Catalog.Location}). Train in this process instead, or see docs/scale-out.md.");
        var service = training;
        var items = new List<TrainJobItem>();
        var prepared = await service.PrepareAllAsync(skills, profileName, threads, progress, cancellationToken);
        try
        {
            foreach (var p in prepared)
            {
                await BlobFileCache.StageAsync(_env.Blobs, p.BackboneFile, p.BackboneSha256, "Backbone", cancellationToken);
                items.Add(ItemOf(p, profileName, threads));
            }
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
        }
        var runId = RunIds.New("train", _env.Time);
        var context = new TrainRunContext([.. skills.Select(s => new TrainRunSkill(s.Name, s.Path))]);
        var submitted = await dispatcher.SubmitAsync(Kind, runId, workspace, items, context, this, cancellationToken, batchSize: 1);
        return (runId, submitted);
    }

    /// <summary>Waits for a submitted run and fetches every package it published into this workspace's store.</summary>
    public async Task<IReadOnlyList<TrainOutcome>> WaitAsync(string runId, JobDispatcher dispatcher, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var stage = progress is null ? null : new Progress<(int Done, int Total)>(p => progress.Report(new TrainingProgress("train-all", "on workers", p.Done, p.Total)));
        var (run, failures) = await dispatcher.WaitSettledAsync(runId, stage, cancellationToken);
        var skills = JobJson.Read<TrainRunContext>(run.Context, $"train run {runId}: context").Skills;
        var outcomes = new List<TrainOutcome>();
        for (var i = 0; i < run.Batches.Count; i++)
        {
            var (name, configPath) = (skills[i].Name, skills[i].ConfigPath);
            if (failures.TryGetValue(i, out var error) || run.Batches[i].Result is not { } json)
            {
                outcomes.Add(new TrainOutcome(configPath, name, null, $"train run {runId}, job {i + 1} of {run.Batches.Count} {error ?? "has no result"}"));
                continue;
            }
            var result = JsonSerializer.Deserialize<TrainResult>(json, SkillJson.Options)
                ?? throw new SkillmakerException($"train run {runId}: job {i + 1} has an empty result.");
            // The worker's folders mean nothing here: the package is fetched into this workspace's store.
            var directory = await _env.Skills.FindAsync(new SkillRef(result.Package.Name, result.Package.Version), cancellationToken);
            outcomes.Add(new TrainOutcome(configPath, name, result with
            {
                Directory = directory,
                ReportPath = Path.Combine(directory, SkillPackageInfo.ReportFileName),
            }, null));
        }
        var trained = outcomes.Count(o => o.Result is not null);
        LogRunDone(runId, trained, outcomes.Count);
        return outcomes;
    }

    /// <summary>A prepared skill as its job carries it.</summary>
    internal static TrainJobItem ItemOf(PreparedTraining p, string? profileName, int? threads) => new()
    {
        ConfigPath = p.Skill.Path,
        Config = JsonSerializer.Serialize(p.Skill.Config, SkillJson.Options),
        Definition = DatasetDefinitionLoader.Serialize(p.Skill.Definition),
        BackbonePath = p.Skill.BackbonePath,
        BackboneSha256 = p.BackboneSha256,
        EffectiveJson = p.Skill.EffectiveJson,
        ConfigHash = p.Skill.ConfigHash,
        ManifestId = p.Manifest.Id,
        ManifestCreated = p.ManifestCreated,
        Profile = profileName,
        Threads = threads,
    };

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        if (_env.Skills.Shared is null)
            throw new SkillmakerException($"{batch}: this worker opened the catalog {_env.Catalog.Location} without a shared skill store; train jobs need a PostgreSQL catalog.");
        var item = JobJson.Read<List<TrainJobItem>>(batch.Payload, $"{batch}: payload").Single();
        var owner = $"{batch.RunId}/{batch.Index}";
        if (await _env.Skills.Shared.Index.GetByOwnerAsync(owner, cancellationToken) is { Published: true } published)
            return JsonSerializer.Serialize(await RecoveredAsync(published, item, cancellationToken), SkillJson.Options);

        var config = JsonSerializer.Deserialize<SkillConfig>(item.Config, SkillJson.Options)
            ?? throw new SkillmakerException($"{batch}: the job's skill config is empty.");
        var skill = new LoadedSkillConfig
        {
            Path = item.ConfigPath,
            // The command extracted the manifest; the worker trains on exactly that one.
            Config = config with { Manifest = item.ManifestId },
            Definition = DatasetDefinitionLoader.Parse(item.Definition, $"{batch}: definition"),
            BackbonePath = item.BackbonePath,
            BackboneCopy = await files.GetAsync(item.BackboneSha256, ".onnx", cancellationToken),
            EffectiveJson = item.EffectiveJson,
            ConfigHash = item.ConfigHash,
        };
        var service = training;
        using var prepared = await service.PrepareAsync(skill, item.Profile, item.Threads, null, cancellationToken);
        var result = await service.TrainAsync(prepared, owner, null, cancellationToken);
        LogTrained(batch, result.Package.Name, result.Package.Version);
        return JsonSerializer.Serialize(result with { ManifestCreated = item.ManifestCreated, TrainedOn = Environment.MachineName }, SkillJson.Options);
    }

    /// <summary>Nothing to record: the packages are published by their jobs, and the command fetches them.</summary>
    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A job run again after its package was published (its worker died before the result was
    /// recorded): the result is read back from the package; timings and embedding counts are lost.</summary>
    private async Task<TrainResult> RecoveredAsync(SkillVersionRecord published, TrainJobItem item, CancellationToken cancellationToken)
    {
        var skill = new SkillRef(published.Skill, published.Version);
        var directory = await _env.Skills.FindAsync(skill, cancellationToken);
        var info = Vision.Skills.SkillPackage.ReadInfo(directory);
        var evaluation = Vision.Skills.SkillPackage.ReadEvaluation(directory)
            ?? throw new SkillmakerException($"{skill} has no {SkillPackageInfo.EvaluationFileName}; the package is incomplete.");
        // The first attempt may have died before recording it; the registry stores it once.
        await _env.Registry.SaveEvaluationAsync(evaluation, cancellationToken);
        LogRecovered(skill.Name, skill.Version);
        return new TrainResult
        {
            Package = info,
            Directory = directory,
            ManifestCreated = item.ManifestCreated,
            Embeddings = new Vision.Embeddings.EmbeddingStats(0, 0, 0, 0, 0, 0),
            Evaluation = evaluation,
            HeadSeconds = 0,
            EvaluationSeconds = 0,
            ReportSeconds = 0,
            TotalSeconds = 0,
            ReportPath = Path.Combine(directory, SkillPackageInfo.ReportFileName),
            Notifications = [],
            TrainedOn = Environment.MachineName,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch}: {Skill} v{Version} trained and published")]
    private partial void LogTrained(JobBatch batch, string skill, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill} v{Version} was already published by an earlier attempt of this job; its result is read back")]
    private partial void LogRecovered(string skill, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Train run {RunId}: {Trained} of {Skills} skills trained on the workers")]
    private partial void LogRunDone(string runId, int trained, int skills);
}
