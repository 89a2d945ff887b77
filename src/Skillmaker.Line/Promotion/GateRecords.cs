using System.Globalization;
using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Skills;

namespace Skillmaker.Promotion;

/// <summary>A gate decision as promotion recorded it: who asked, whether it was forced and why.</summary>
public sealed record RecordedDecision(string Skill, int Version, DateTimeOffset At, string Who, bool Forced, string? Reason, GateDecision Decision);

/// <summary>Gate decisions, one JSON file per promotion attempt under <c>.skillmaker/gate/NAME/</c>,
/// named so that the newest sorts last.</summary>
public sealed class GateRecords(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The latest gate decision recorded for a version (shown in its report), if any.</summary>
    public GateDecision? Latest(SkillRef skill)
    {
        var folder = Path.Combine(Directory, skill.Name);
        if (!System.IO.Directory.Exists(folder)) return null;
        var latest = System.IO.Directory.EnumerateFiles(folder, $"v{skill.Version.ToString(CultureInfo.InvariantCulture)}-*.json").Order(StringComparer.Ordinal).LastOrDefault();
        return latest is null ? null : JsonSerializer.Deserialize<RecordedDecision>(File.ReadAllText(latest), SkillJson.Options)?.Decision;
    }

    /// <summary>Writes the record atomically; returns its path.</summary>
    public async Task<string> SaveAsync(RecordedDecision record, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Directory, record.Skill);
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"v{record.Version.ToString(CultureInfo.InvariantCulture)}-{record.At.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)}.json");
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(record, SkillJson.Options), cancellationToken);
        return path;
    }
}
