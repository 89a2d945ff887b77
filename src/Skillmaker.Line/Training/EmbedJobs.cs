using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Skillmaker.Augmentation;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;

namespace Skillmaker.Training;

/// <summary>What every batch of an embed run shares: which backbone (staged in the blob store under its
/// SHA-256), read how, and how augmented copies are made.</summary>
public sealed record EmbedRunContext
{
    public required string Skill { get; init; }
    public required string BackboneSha256 { get; init; }
    public required BackboneSpec Backbone { get; init; }
    /// <summary>The submitter's preprocessing hash; a worker whose own differs refuses the batch.</summary>
    public required string PreprocessingHash { get; init; }
    public string ExecutionProvider { get; init; } = "cpu";
    public int BatchSize { get; init; } = 16;
    /// <summary>Threads per batch (capped by the worker's cores).</summary>
    public int Threads { get; init; } = 1;
    public IReadOnlyList<AugmentationStep>? AugmentationSteps { get; init; }
    public long Seed { get; init; }
}

/// <summary>A batch's embeddings, as one pack in the blob store.</summary>
public sealed record EmbedBatchResult
{
    public required string Pack { get; init; }
    public int Vectors { get; init; }
    public int Computed { get; init; }
    public int BackboneRuns { get; init; }
}

/// <summary>What the workers did for one skill's embeddings.</summary>
public sealed record WorkerEmbeddingStats(string RunId, int Requested, int Computed, int BackboneRuns, int Batches);

/// <summary>Computes embeddings elsewhere than this process (server mode: batch jobs on workers).</summary>
public interface IEmbeddingOffload
{
    /// <summary>Every requested embedding, keyed as <paramref name="embedder"/> keys them, and what it took.</summary>
    Task<(IReadOnlyList<(EmbeddingKey Key, float[] Vector)> Vectors, WorkerEmbeddingStats Stats)> EmbedAsync(PreparedTraining prepared, Embedder embedder,
        EmbedderOptions options, IReadOnlyList<EmbeddingRequest> requests, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken);
}

/// <summary>Embeddings as batch jobs. The command stages the backbone into the blob store; jobs carry
/// image ids, copy numbers and donors only. A worker fetches the backbone once, reads the images from
/// the blob store, embeds them (keeping a local cache, so a batch run again after a crash resumes) and
/// stores the batch's vectors as one content-addressed pack, whose id is the batch's result. Nothing is
/// written to the catalog, so a retried batch can only produce the same vectors again.</summary>
/// <para>With <paramref name="shared"/> (a shared workspace) a worker first takes what any machine already
/// published to the embedding index and records the keys of every pack it makes.</para>
public sealed partial class EmbedJobs(IBlobStore blobs, string? cacheDirectory, TimeProvider time, ILogger<EmbedJobs> logger, SharedEmbeddings? shared = null) : IBatchHandler, IDisposable
{
    public const string Kind = "embed";

    private readonly BlobFileCache _files = new(blobs, cacheDirectory);
    private readonly ConcurrentDictionary<string, Lazy<Task<Backbone>>> _backbones = new();

    /// <summary>Submits the requests as jobs, waits for them and returns their vectors.</summary>
    public async Task<(IReadOnlyList<(EmbeddingKey Key, float[] Vector)> Vectors, WorkerEmbeddingStats Stats)> RunOnWorkersAsync(PreparedTraining prepared, Embedder embedder,
        EmbedderOptions options, IReadOnlyList<EmbeddingRequest> requests, JobDispatcher dispatcher, WorkspaceRef workspace, IProgress<(int Done, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        await BlobFileCache.StageAsync(blobs, prepared.BackboneFile, prepared.BackboneSha256, "Backbone", cancellationToken);
        var context = new EmbedRunContext
        {
            Skill = prepared.Skill.Name,
            BackboneSha256 = prepared.BackboneSha256,
            Backbone = prepared.Skill.Config.Network.Backbone,
            PreprocessingHash = prepared.Backbone.Preprocessor.Spec.Hash(),
            ExecutionProvider = prepared.Profile.ExecutionProvider,
            BatchSize = options.BatchSize,
            Threads = prepared.Threads,
            AugmentationSteps = options.AugmentationSteps,
            Seed = options.Seed,
        };
        var runId = RunIds.New("embed", time);
        await dispatcher.SubmitAsync(Kind, runId, workspace, requests, context, this, cancellationToken);
        var run = await dispatcher.WaitAsync(runId, progress, cancellationToken);

        var results = run.Batches.Select(b => JobJson.Read<EmbedBatchResult>(b.Result!, $"embed run {runId}: batch {b.Index + 1}")).ToList();
        var vectors = new Dictionary<EmbeddingKey, float[]>();
        foreach (var result in results)
        {
            var (_, _, entries) = EmbeddingPack.Read(await blobs.ReadAllBytesAsync(result.Pack, cancellationToken), $"embed run {runId}: pack {result.Pack[..12]}");
            foreach (var (key, vector) in entries) vectors.TryAdd(key, vector);
        }
        var wanted = requests.Select(embedder.KeyOf).Distinct().ToList();
        var missing = wanted.Where(k => !vectors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new SkillmakerException($"embed run {runId}: the workers returned no embedding for {missing.Count} of {wanted.Count} requests (e.g. image {missing[0].ImageId[..12]}); " +
                "are the workers running another Skillmaker version? Update them, or train in this process.");
        var stats = new WorkerEmbeddingStats(runId, wanted.Count, results.Sum(r => r.Computed), results.Sum(r => r.BackboneRuns), results.Count);
        LogImported(prepared.Skill.Name, runId, wanted.Count, stats.Computed, results.Count);
        return ([.. wanted.Select(k => (k, vectors[k]))], stats);
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var run = JobJson.Read<EmbedRunContext>(context, $"{batch}: context");
        var requests = JobJson.Read<List<EmbeddingRequest>>(batch.Payload, $"{batch}: payload");
        var backbone = await BackboneAsync(run, cancellationToken);
        if (backbone.Preprocessor.Spec.Hash() != run.PreprocessingHash)
            throw new SkillmakerException($"{batch}: this worker reads the preprocessing of {run.Skill} as {backbone.Preprocessor.Spec.Hash()[..12]}, the command as {run.PreprocessingHash[..12]}; " +
                "the worker runs another Skillmaker version. Update it.");
        var cache = new EmbeddingCache(Path.Combine(_files.Directory, "embeddings"));
        var embedder = new Embedder(backbone, run.BackboneSha256, cache, blobs.ReadAllBytesAsync, new EmbedderOptions
        {
            BatchSize = run.BatchSize,
            DecodeParallelism = Threads(run),
            AugmentationSteps = run.AugmentationSteps,
            Seed = run.Seed,
        });
        if (shared is not null) await shared.ImportAsync(cache, requests.Select(embedder.KeyOf), backbone.EmbeddingSize, cancellationToken);
        var (vectors, stats) = await embedder.EmbedAsync(requests, null, cancellationToken);
        var entries = requests.Select((r, i) => (Key: embedder.KeyOf(r), Vector: vectors[i])).DistinctBy(e => e.Key).ToList();
        var pack = EmbeddingPack.Write(run.BackboneSha256, run.PreprocessingHash, backbone.EmbeddingSize, entries);
        var id = Sha256Hex.Of(pack);
        await blobs.PutAsync(id, pack, cancellationToken);
        if (shared is not null && stats.Computed > 0) await shared.RecordAsync(id, pack.LongLength, [.. entries.Select(e => e.Key)], cancellationToken);
        return JobJson.Write(new EmbedBatchResult { Pack = id, Vectors = entries.Count, Computed = stats.Computed, BackboneRuns = stats.BackboneRuns });
    }

    /// <summary>Nothing to record: the command that waits for the run takes the packs.</summary>
    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken)
    {
        LogFinished(run.RunId, run.Progress.Items);
        return Task.CompletedTask;
    }

    private static int Threads(EmbedRunContext run) => Math.Clamp(run.Threads, 1, Environment.ProcessorCount);

    /// <summary>One open backbone per model, spec and thread count in this worker, fetched from the blob store once.</summary>
    private async Task<Backbone> BackboneAsync(EmbedRunContext run, CancellationToken cancellationToken)
    {
        var key = $"{run.BackboneSha256}|{JobJson.Write(run.Backbone)}|{run.ExecutionProvider}|{Threads(run)}";
        var lazy = _backbones.GetOrAdd(key, _ => new Lazy<Task<Backbone>>(async () =>
        {
            var path = await _files.GetAsync(run.BackboneSha256, ".onnx", CancellationToken.None);
            return Backbone.Open(path, run.Backbone, Threads(run), run.ExecutionProvider);
        }));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failed fetch or open is tried again by the job's retry, not remembered.
            _backbones.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _backbones.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully))
            lazy.Value.Result.Dispose();
        _backbones.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill}: {Count} embeddings from embed run {RunId} ({Computed} computed by the workers in {Batches} jobs)")]
    private partial void LogImported(string skill, string runId, int count, int computed, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embed run {RunId} finished on the workers: {Items} embeddings")]
    private partial void LogFinished(string runId, int items);
}

/// <summary>The training side of <see cref="EmbedJobs"/>: a command in a server-mode workspace hands its
/// missing embeddings to the workers.</summary>
public sealed class WorkerEmbeddings(EmbedJobs jobs, JobDispatcher dispatcher, WorkspaceRef workspace) : IEmbeddingOffload
{
    public Task<(IReadOnlyList<(EmbeddingKey Key, float[] Vector)> Vectors, WorkerEmbeddingStats Stats)> EmbedAsync(PreparedTraining prepared, Embedder embedder,
        EmbedderOptions options, IReadOnlyList<EmbeddingRequest> requests, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken) =>
        jobs.RunOnWorkersAsync(prepared, embedder, options, requests, dispatcher, workspace, progress, cancellationToken);
}
