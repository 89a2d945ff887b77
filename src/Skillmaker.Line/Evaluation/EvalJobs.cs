using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Skills;
using Skillmaker.Training;

namespace Skillmaker.Evaluation;

/// <summary>One skill version to evaluate on one manifest (its full id, resolved by the command).</summary>
public sealed record EvalJobItem(string Skill, int Version, string ManifestId);

/// <summary>What every job of an eval run shares: the versions (NAME@VERSION) in batch order.</summary>
public sealed record EvalRunContext(IReadOnlyList<string> Skills);

/// <summary>One skill of an eval run: its recorded evaluation, or why it failed.</summary>
public sealed record EvalOutcome(SkillRef Skill, RecordedEvaluation? Evaluation, string? Error);

/// <summary>eval as batch jobs, one per skill version (queue <c>eval</c>). A worker fetches the package
/// from the shared skill store, evaluates it and returns the summary (latency is measured on that worker,
/// whose name the summary carries). The run's last job records every summary in the registry; the
/// command records them again (the registry keeps one row per evaluation) and saves the JSON files here.</summary>
public sealed partial class EvalJobs(EvaluationService evaluations, ILogger<EvalJobs> logger) : IBatchHandler
{
    public const string Kind = "eval";

    private readonly TrainingEnvironment _env = evaluations.Environment;

    /// <summary>Checks every version and manifest exists (before anything is queued) and enqueues one job per version.</summary>
    public async Task<(string RunId, JobRunProgress Progress)> SubmitAsync(IReadOnlyList<SkillRef> skills, string? manifestId, JobDispatcher dispatcher, WorkspaceRef workspace,
        CancellationToken cancellationToken)
    {
        if (_env.Skills.Shared is null)
            throw new SkillmakerException($"eval on workers needs a skill store every machine shares: a PostgreSQL catalog (this one is {_env.Catalog.Location}). Evaluate in this process instead, or see docs/scale-out.md.");
        var service = evaluations;
        var items = new List<EvalJobItem>();
        foreach (var skill in skills)
            items.Add(new EvalJobItem(skill.Name, skill.Version, await service.ManifestIdForAsync(skill, manifestId, cancellationToken)));
        var runId = RunIds.New("eval", _env.Time);
        var submitted = await dispatcher.SubmitAsync(Kind, runId, workspace, items, new EvalRunContext([.. skills.Select(s => s.ToString())]), this, cancellationToken, batchSize: 1);
        return (runId, submitted);
    }

    /// <summary>Waits for a submitted run, records every evaluation and saves its JSON here.</summary>
    public async Task<IReadOnlyList<EvalOutcome>> WaitAsync(string runId, JobDispatcher dispatcher, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (run, failures) = await dispatcher.WaitSettledAsync(runId, progress, cancellationToken);
        var skills = JobJson.Read<EvalRunContext>(run.Context, $"eval run {runId}: context").Skills;
        var service = evaluations;
        var outcomes = new List<EvalOutcome>();
        foreach (var batch in run.Batches)
        {
            var i = batch.Index;
            if (failures.TryGetValue(i, out var error) || batch.Result is not { } result)
            {
                outcomes.Add(new EvalOutcome(SkillRef.Parse(skills[i]), null, $"eval run {runId}, job {i + 1} of {run.Batches.Count} {error ?? "has no result"}"));
                continue;
            }
            var summary = Read(result, run.RunId, i);
            outcomes.Add(new EvalOutcome(new SkillRef(summary.Skill, summary.Version), await service.RecordAsync(summary, cancellationToken), null));
        }
        return outcomes;
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var item = JobJson.Read<List<EvalJobItem>>(batch.Payload, $"{batch}: payload").Single();
        var summary = await evaluations.MeasureAsync(new SkillRef(item.Skill, item.Version), item.ManifestId, null, cancellationToken);
        LogEvaluated(batch, item.Skill, item.Version, summary.Accuracy);
        return JsonSerializer.Serialize(summary, SkillJson.Options);
    }

    /// <summary>Records every summary in the registry. A second finisher, or the command, records the
    /// same summaries again, which adds nothing.</summary>
    public async Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken)
    {
        foreach (var batch in run.Batches.Where(b => b.Result is not null))
            await _env.Registry.SaveEvaluationAsync(Read(batch.Result!, run.RunId, batch.Index), cancellationToken);
    }

    private static EvaluationSummary Read(string json, string runId, int index) =>
        JsonSerializer.Deserialize<EvaluationSummary>(json, SkillJson.Options) ?? throw new SkillmakerException($"eval run {runId}: job {index + 1} has an empty result.");

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch}: {Skill} v{Version} evaluated, accuracy {Accuracy:P1}")]
    private partial void LogEvaluated(JobBatch batch, string skill, int version, double accuracy);
}
