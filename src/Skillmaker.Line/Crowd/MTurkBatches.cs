using System.Globalization;
using Skillmaker.Common;

namespace Skillmaker.Crowd;

/// <summary>One input file of an export: publish it with <see cref="Assignments"/> assignments per task.</summary>
public sealed record MTurkBatchFile(string InputCsv, int Assignments, int Tasks);

/// <summary>What an export wrote. Tasks that already have all their answers, gold tasks and consolidated
/// tasks are left out (<see cref="Skipped"/>); the rest are grouped by how many answers they still need.</summary>
public sealed record MTurkExport(int Tasks, IReadOnlyList<MTurkBatchFile> Files, string Layout, DateTimeOffset LinksExpire, int Skipped)
{
    /// <summary>The first input file (the only one when every task needs the same number of answers).</summary>
    public string InputCsv => Files.Count > 0 ? Files[0].InputCsv : "";
}

/// <summary>One row of an import and what became of it: recorded, duplicate, or left out and why.</summary>
public sealed record MTurkImportRow(int Line, string AssignmentId, string WorkerId, string TaskId, string Outcome, string? Reason);

public sealed record MTurkImport(int Recorded, int Duplicates, int Refused, IReadOnlyList<MTurkImportRow> Rows);

/// <summary>The crowd queue's round trip through MTurk: export the open tasks as a batch (input CSV with
/// signed, expiring crop links, and the question layout); import the batch's results, all or nothing.</summary>
public sealed class MTurkBatches(ICrowdStore store, SignedImageLinks links, TimeProvider time)
{
    public const string InputFile = "input.csv";
    public const string LayoutFile = "question.html";

    /// <param name="publicRoot">Where workers' browsers reach the server (http or https), e.g. https://label.example.</param>
    /// <param name="linksValidFor">How long the image links work: more than 0, at most 30 days.</param>
    public async Task<MTurkExport> ExportAsync(string directory, string publicRoot, TimeSpan linksValidFor, CancellationToken cancellationToken)
    {
        var errors = new List<SettingError>();
        if (linksValidFor <= TimeSpan.Zero || linksValidFor > TimeSpan.FromDays(30))
            errors.Add(new("expiresHours", $"is {linksValidFor.TotalHours:0.#}; expected more than 0 and at most 720 hours"));
        var root = publicRoot.TrimEnd('/');
        if (!Uri.TryCreate(root, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            errors.Add(new("baseUrl", $"'{root}' is not an http(s) address"));
        if (errors.Count > 0) throw new InvalidSettingException(null, errors);

        var tasks = await store.GetTasksAsync(null, openOnly: true, cancellationToken);
        var answered = (await store.GetAnswersAsync(cancellationToken)).GroupBy(a => a.TaskId).ToDictionary(g => g.Key, g => g.Count());
        // Gold tasks stay on the own page (they score workers there); tasks with all their answers are done.
        var needed = tasks.Where(t => !t.IsGold).Select(t => (Task: t, Left: t.Overlap - answered.GetValueOrDefault(t.Id))).ToList();
        var wanted = needed.Where(n => n.Left > 0).ToList();
        var groups = wanted.GroupBy(n => n.Left).OrderByDescending(g => g.Key).ToList();
        Directory.CreateDirectory(directory);
        var files = new List<MTurkBatchFile>();
        foreach (var group in groups)
        {
            var name = groups.Count == 1 ? InputFile : $"input-{group.Key.ToString(CultureInfo.InvariantCulture)}-assignments.csv";
            var path = Path.Combine(directory, name);
            var rows = group.Select(n => (n.Task.PublicId, root + links.PathFor(n.Task.ImageId, linksValidFor))).ToList();
            await AtomicFile.WriteAllTextAsync(path, MTurk.InputCsv(rows), cancellationToken);
            files.Add(new MTurkBatchFile(path, group.Key, rows.Count));
        }
        var layout = Path.Combine(directory, LayoutFile);
        await AtomicFile.WriteAllTextAsync(layout, MTurk.QuestionLayout(), cancellationToken);
        return new MTurkExport(wanted.Count, files, layout, time.GetUtcNow() + linksValidFor, tasks.Count - wanted.Count);
    }

    /// <summary>Reads a batch results file; nothing is recorded unless every row is valid. Answers already
    /// recorded (same assignment, or the worker had answered that task) are duplicates; answers to a
    /// consolidated task, or beyond a task's overlap, are refused; each is reported with its line.</summary>
    public async Task<MTurkImport> ImportAsync(string resultsFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(resultsFile)) throw new SkillmakerException($"Results file {resultsFile} does not exist.");
        var known = (await store.GetTasksAsync(null, openOnly: false, cancellationToken)).Select(t => t.Id).ToHashSet();
        var fileName = Path.GetFileName(resultsFile);
        var text = MTurk.Decode(await File.ReadAllBytesAsync(resultsFile, cancellationToken), fileName);
        IReadOnlyList<MTurkResultRow> rows;
        using (var reader = new StringReader(text))
            rows = MTurk.ReadResults(reader, fileName, known, time.GetUtcNow());
        var toStore = rows.Where(r => r.Answer is not null).ToList();
        var statuses = await store.ImportAnswersAsync([.. toStore.Select(r => r.Answer!)], cancellationToken);
        var outcome = toStore.Select((r, i) => (r, statuses[i])).ToDictionary(p => p.r.Line, p => p.Item2);
        var report = rows.Select(r =>
        {
            if (r.Answer is null) return new MTurkImportRow(r.Line, r.AssignmentId, r.WorkerId, r.TaskId, "left out", r.LeftOut);
            return outcome[r.Line] switch
            {
                ImportStatus.Recorded => new MTurkImportRow(r.Line, r.AssignmentId, r.WorkerId, r.TaskId, "recorded", null),
                ImportStatus.Duplicate => new MTurkImportRow(r.Line, r.AssignmentId, r.WorkerId, r.TaskId, "duplicate", "already recorded (same assignment, or this worker had answered the task)"),
                ImportStatus.TaskConsolidated => new MTurkImportRow(r.Line, r.AssignmentId, r.WorkerId, r.TaskId, "refused", $"{r.TaskId} was already consolidated"),
                _ => new MTurkImportRow(r.Line, r.AssignmentId, r.WorkerId, r.TaskId, "refused", $"{r.TaskId} already had all the answers its overlap asks for"),
            };
        }).ToList();
        return new MTurkImport(report.Count(r => r.Outcome == "recorded"), report.Count(r => r.Outcome == "duplicate"),
            report.Count(r => r.Outcome is "refused" or "left out"), report);
    }
}
