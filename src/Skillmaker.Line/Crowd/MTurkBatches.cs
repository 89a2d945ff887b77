using Skillmaker.Common;

namespace Skillmaker.Crowd;

public sealed record MTurkExport(int Tasks, string InputCsv, string Layout, DateTimeOffset LinksExpire);

public sealed record MTurkImport(int Recorded, int Duplicates);

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
        Directory.CreateDirectory(directory);
        var rows = tasks.Select(t => (t.PublicId, root + links.PathFor(t.ImageId, linksValidFor))).ToList();
        var input = Path.Combine(directory, InputFile);
        var layout = Path.Combine(directory, LayoutFile);
        await AtomicFile.WriteAllTextAsync(input, MTurk.InputCsv(rows), cancellationToken);
        await AtomicFile.WriteAllTextAsync(layout, MTurk.QuestionLayout(), cancellationToken);
        return new MTurkExport(rows.Count, input, layout, time.GetUtcNow() + linksValidFor);
    }

    /// <summary>Reads a batch results file; nothing is recorded unless every row is valid. Answers already
    /// recorded (same assignment, or the worker had answered that task) are counted and skipped.</summary>
    public async Task<MTurkImport> ImportAsync(string resultsFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(resultsFile)) throw new SkillmakerException($"Results file {resultsFile} does not exist.");
        var known = (await store.GetTasksAsync(null, openOnly: false, cancellationToken)).Select(t => t.Id).ToHashSet();
        IReadOnlyList<CrowdAnswer> answers;
        using (var reader = new StreamReader(resultsFile))
            answers = MTurk.ReadResults(reader, Path.GetFileName(resultsFile), known, time.GetUtcNow());
        var (recorded, duplicates) = await store.ImportAnswersAsync(answers, cancellationToken);
        return new MTurkImport(recorded, duplicates);
    }
}
