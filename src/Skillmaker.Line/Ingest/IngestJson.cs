namespace Skillmaker.Ingest;

/// <summary>An ingest run as the JSON that commands and the demo print (--json), whatever fed it.</summary>
public static class IngestJson
{
    /// <summary>The run as JSON fields, then <paramref name="extra"/> ones, in a stable order.</summary>
    public static Dictionary<string, object?> Of(IngestSummary summary, params (string Name, object? Value)[] extra)
    {
        var json = new Dictionary<string, object?>
        {
            ["added"] = summary.Added,
            ["duplicates"] = summary.Duplicates,
            ["nearDuplicates"] = summary.NearDuplicates,
            ["rejected"] = summary.Rejected.Select(r => new { path = r.Path, reason = r.Reason, code = r.Code }),
        };
        foreach (var (name, value) in extra) json[name] = value;
        json["interrupted"] = summary.Interrupted;
        json["runId"] = summary.RunId;
        json["nearDuplicatePairs"] = summary.NearDuplicatePairs;
        json["warnings"] = summary.Warnings;
        return json;
    }
}
