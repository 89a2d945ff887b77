using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Jobs;
using Skillmaker.Skills;

namespace Skillmaker.Reports;

/// <summary>One model report to write: the skill version.</summary>
public sealed record ReportJobItem(string Skill, int Version);

/// <summary>What a report job gives back: the published PDF (by SHA-256) and what the command prints.</summary>
public sealed record ReportJobResult(string Sha256, long Size, string OriginalName, DateTimeOffset PublishedAt, int FailuresShown, bool? GatePassed)
{
    public ArtefactRecord Record(SkillRef skill) => new()
    {
        Kind = Reports.PublishedReports.Kind, Name = Reports.PublishedReports.NameOf(skill), Sha256 = Sha256, Size = Size, OriginalName = OriginalName, PublishedAt = PublishedAt,
    };
}

/// <summary><c>report</c> as a job (queue <c>report</c>), for a server-mode workspace: everything a report
/// needs is shared (the package in the skill store, manifest and images in the catalog and blob store, the
/// latest gate decision in the artefact index), so a worker writes the PDF, publishes it to the blob store and
/// returns its SHA-256; the command then writes those verified bytes where it was asked. A job run twice
/// writes and publishes the report again, which is harmless.</summary>
public sealed partial class ReportJobs(EvaluationService evaluations, ILogger<ReportJobs> logger) : IBatchHandler
{
    public const string Kind = "report";

    /// <summary>Queues the report of <paramref name="skill"/> as a run of one job; returns the run id. Refuses
    /// (before anything is queued) when the workspace does not share its files through the blob store.</summary>
    public async Task<string> SubmitAsync(SkillRef skill, JobDispatcher dispatcher, WorkspaceRef workspace, CancellationToken cancellationToken)
    {
        var env = evaluations.Environment;
        if (env.Skills.Shared is null || env.Artefacts is null)
            throw new SkillmakerException($"report on workers needs a skill store and blob store every machine shares: a PostgreSQL catalog (this one is {env.Catalog.Location}). Write the report in this process instead, or see docs/scale-out.md.");
        var runId = RunIds.New("report", env.Time);
        await dispatcher.SubmitAsync(Kind, runId, workspace, [new ReportJobItem(skill.Name, skill.Version)], new ReportJobItem(skill.Name, skill.Version), this, cancellationToken, batchSize: 1);
        return runId;
    }

    /// <summary>Waits for the run and writes the published PDF to <paramref name="path"/>, verified.</summary>
    public async Task<ReportJobResult> WaitAsync(string runId, SkillRef skill, string path, JobDispatcher dispatcher, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var run = await dispatcher.WaitAsync(runId, progress, cancellationToken);
        var result = (run.Batches.Count > 0 ? run.Batches[0].Result : null) is { } json
            ? JobJson.Read<ReportJobResult>(json, $"report run {runId}: result")
            : throw new SkillmakerException($"report run {runId} finished without a result; run `skillmaker report {skill} --out FILE.pdf` again.");
        await evaluations.PublishedReports!.WriteAsync(result.Record(skill), path, cancellationToken);
        return result;
    }

    public async Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken)
    {
        var item = JobJson.Read<List<ReportJobItem>>(batch.Payload, $"{batch}: payload").Single();
        var skill = new SkillRef(item.Skill, item.Version);
        var folder = Path.Combine(Path.GetTempPath(), $"skillmaker-report-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var (report, published) = await evaluations.WriteAndPublishReportAsync(skill, Path.Combine(folder, $"{item.Skill}-v{item.Version}.pdf"), cancellationToken);
            if (published is null)
                throw new SkillmakerException($"{batch}: the report of {skill} was written but this workspace has no shared blob store to publish it to; expected a PostgreSQL catalog.");
            LogWritten(batch, item.Skill, item.Version, published.Sha256[..12]);
            return JobJson.Write(new ReportJobResult(published.Sha256, published.Size, published.OriginalName, published.PublishedAt, report.Failures.Count, report.Gate?.Passed));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Nothing to gather: the batch published its PDF.</summary>
    public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batch}: report of {Skill} v{Version} written and published (sha256 {Sha256})")]
    private partial void LogWritten(JobBatch batch, string skill, int version, string sha256);
}
