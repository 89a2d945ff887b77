using System.Globalization;
using System.Text.Json;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Skills;

namespace Skillmaker.Promotion;

/// <summary>A gate decision as promotion recorded it: who asked, whether it was forced and why.</summary>
public sealed record RecordedDecision(string Skill, int Version, DateTimeOffset At, string Who, bool Forced, string? Reason, GateDecision Decision);

/// <summary>Gate decisions, one JSON file per promotion attempt under <c>.skillmaker/gate/NAME/</c>,
/// named so that the newest sorts last. In a shared workspace (<paramref name="shared"/>) each record is
/// also published to the blob store and the catalog's artefact index (kind <c>gate</c>, name
/// <c>NAME@VERSION</c>), so every machine reads the latest decision, not only the one that promoted.</summary>
public sealed class GateRecords(string directory, Artefacts? shared = null)
{
    public const string Kind = "gate";

    public string Directory { get; } = directory;

    /// <summary>The latest gate decision recorded for a version (shown in its report), if any: from the
    /// catalog when shared, else from this machine's files.</summary>
    public async Task<GateDecision?> LatestAsync(SkillRef skill, CancellationToken cancellationToken)
    {
        if (shared is not null && await shared.Index.LatestAsync(Kind, NameOf(skill), cancellationToken) is { } published)
            return JsonSerializer.Deserialize<RecordedDecision>(await shared.ReadAsync(published, cancellationToken), SkillJson.Options)?.Decision;
        var folder = Path.Combine(Directory, skill.Name);
        if (!System.IO.Directory.Exists(folder)) return null;
        var latest = System.IO.Directory.EnumerateFiles(folder, $"v{skill.Version.ToString(CultureInfo.InvariantCulture)}-*.json").Order(StringComparer.Ordinal).LastOrDefault();
        return latest is null ? null : JsonSerializer.Deserialize<RecordedDecision>(await File.ReadAllTextAsync(latest, cancellationToken), SkillJson.Options)?.Decision;
    }

    /// <summary>Where <see cref="SaveAsync"/> writes the record on this machine.</summary>
    public string PathOf(RecordedDecision record) =>
        Path.Combine(Directory, record.Skill, $"v{record.Version.ToString(CultureInfo.InvariantCulture)}-{record.At.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)}.json");

    /// <summary>Writes the record atomically (and publishes it when shared); returns its path here.</summary>
    public async Task<string> SaveAsync(RecordedDecision record, CancellationToken cancellationToken)
    {
        var path = PathOf(record);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = JsonSerializer.Serialize(record, SkillJson.Options);
        await AtomicFile.WriteAllTextAsync(path, json, cancellationToken);
        if (shared is not null)
            await shared.PublishAsync(Kind, NameOf(new SkillRef(record.Skill, record.Version)), Path.GetFileName(path), System.Text.Encoding.UTF8.GetBytes(json), cancellationToken);
        return path;
    }

    private static string NameOf(SkillRef skill) => $"{skill.Name}@{skill.Version.ToString(CultureInfo.InvariantCulture)}";
}
