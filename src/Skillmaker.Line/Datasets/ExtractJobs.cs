using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Jobs;

namespace Skillmaker.Datasets;

/// <summary>One extract: the dataset, its definition (JSON, as its manifest stores it) and the test fraction.</summary>
public sealed record ExtractJobItem(string Dataset, string DefinitionJson, double? TestFraction);

/// <summary>What an extract run carries besides its one batch: who asked, and the manifest of that dataset that
/// was newest when they asked (what the result is compared with).</summary>
public sealed record ExtractRunContext(string Dataset, string Who, string? PreviousManifestId);

/// <summary>An extract's outcome: the manifest it gives and whether that manifest is new.</summary>
public sealed record ExtractJobResult(string ManifestId, bool Created, int Items);

/// <summary><c>extract</c> as a job (queue <c>extract</c>): one batch that extracts a dataset from its definition on
/// whichever machine takes it (a worker in server mode, the server's in-process queue otherwise). Extract is
/// idempotent (the same data gives the same manifest, stored once), so a batch that runs twice is harmless.</summary>
public sealed partial class ExtractJobs(DatasetService datasets, IDatasetStore store, TimeProvider time, ILogger<ExtractJobs> logger) : IBatchHandler
{
    public const string Kind = "extract";

    /// <summary>The extract of dataset <paramref name="dataset"/> again from the definition stored in its newest
    /// manifest. Throws naming the problem when the dataset is unknown or its definition does not parse; nothing
    /// is queued then.</summary>
    public async Task<(ExtractJobItem Item, string PreviousManifestId)> AgainAsync(string dataset, CancellationToken cancellationToken)
    {
        var latest = (await store.ListManifestsAsync(cancellationToken)).Where(m => m.Name == dataset).OrderBy(m => m.CreatedAt).ThenBy(m => m.Id, StringComparer.Ordinal).LastOrDefault()
            ?? throw new SkillmakerException($"There is no dataset '{dataset}'; a dataset appears here after its first `skillmaker extract DEF.json`.");
        var manifest = await store.GetManifestAsync(latest.Id, cancellationToken)
            ?? throw new SkillmakerException($"Manifest {latest.Id[..12]} of {dataset} could not be read.");
        // Parsed here so a definition with errors is refused before anything is queued.
        DatasetDefinitionLoader.Parse(manifest.DefinitionJson, $"The definition of dataset {dataset} (from manifest {manifest.Id[..12]})");
        return (new ExtractJobItem(dataset, manifest.DefinitionJson, manifest.TestFraction), manifest.Id);
    }

    /// <summary>Queues the extract as a run of one job; returns the run id.</summary>
    public async Task<string> SubmitAsync(ExtractJobItem item, string who, string? previousManifestId, JobDispatcher dispatcher, WorkspaceRef workspace, CancellationToken cancellationToken)
    {
        var runId = RunIds.New("extract", time);
        await dispatcher.SubmitAsync(Kind, runId, workspace, [item], new ExtractRunContext(item.Dataset, who, previousManifestId), this, cancellationToken, batchSize: 1);
        return runId;
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var item = JobJson.Read<List<ExtractJobItem>>(batch.Payload, $"{batch}: payload").Single();
        var definition = DatasetDefinitionLoader.Parse(item.DefinitionJson, $"The definition of dataset {item.Dataset}");
        var result = await datasets.ExtractAsync(definition, item.TestFraction, cancellationToken);
        LogExtracted(batch, item.Dataset, result.Manifest.Id[..12], result.Manifest.Items.Count, result.Created);
        return JobJson.Write(new ExtractJobResult(result.Manifest.Id, result.Created, result.Manifest.Items.Count));
    }

    /// <summary>Nothing to gather: the batch stored its manifest.</summary>
    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The run's context and, once its batch is done, its result.</summary>
    public static (ExtractRunContext Context, ExtractJobResult? Result) Read(JobRunRecord run) =>
        (JobJson.Read<ExtractRunContext>(run.Context, $"extract run {run.RunId}: context"),
         (run.Batches.Count > 0 ? run.Batches[0].Result : null) is { } r ? JobJson.Read<ExtractJobResult>(r, $"extract run {run.RunId}: result") : null);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch}: {Dataset} extracted, manifest {Manifest} with {Items} items (new: {Created})")]
    private partial void LogExtracted(JobBatch batch, string dataset, string manifest, int items, bool created);
}
