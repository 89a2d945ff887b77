using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Detection;

/// <summary>What a re-run of attribution changed.</summary>
public sealed record AttributionSummary
{
    /// <summary>Photos (per detector model) looked at.</summary>
    public int Photos { get; init; }
    public int Crops { get; init; }
    /// <summary>Crops that are their photo's subject (carry the photo's labels).</summary>
    public int Subjects { get; init; }
    /// <summary>Crops of other vehicles, or of ambiguous photos: no label from the photo.</summary>
    public int Background { get; init; }
    /// <summary>Photos where no crop was clearly the subject.</summary>
    public int AmbiguousPhotos { get; init; }
    /// <summary>Attribution rows written because they were new or their decision changed.</summary>
    public int Changed { get; init; }
    public required SubjectSettings Settings { get; init; }
}

/// <summary>Decides, for each photo's crops, which one is the photo's subject (<see cref="SubjectRule"/>)
/// and records it: a photo-level label belongs to that crop only. Detect attributes new crops as it cuts
/// them; <see cref="RunAsync"/> (re)attributes crops of an existing workspace, e.g. after the settings
/// changed or for crops cut before attribution existed. Idempotent; the split ledger is not touched, so
/// sticky splits stay sticky.</summary>
public sealed partial class AttributionService(IDetectionStore store, SubjectSettings settings, TimeProvider time, ILogger<AttributionService> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<CropAttribution> Attribute(AttributionInput photo, SubjectSettings settings, DateTimeOffset now)
    {
        var json = JsonSerializer.Serialize(settings, Json);
        return [.. SubjectRule.Decide(photo.Crops, photo.Width, photo.Height, settings).Select(d => new CropAttribution
        {
            CropId = d.CropId, ParentId = photo.ImageId, ModelSha256 = photo.ModelSha256, Subject = d.Subject, Reason = d.Reason,
            SettingsJson = json, DecidedAt = now,
        })];
    }

    /// <summary>Attributes every crop (or, with <paramref name="onlyMissing"/>, the photos with a crop not
    /// attributed yet) with the workspace's <c>detector.subject</c> settings.</summary>
    public async Task<AttributionSummary> RunAsync(bool onlyMissing, CancellationToken cancellationToken)
    {
        var inputs = await store.ListAttributionInputsAsync(onlyMissing, cancellationToken);
        var now = time.GetUtcNow();
        var all = inputs.SelectMany(p => Attribute(p, settings, now)).ToList();
        var changed = all.Count == 0 ? 0 : await store.SaveAttributionsAsync(all, cancellationToken);
        var summary = new AttributionSummary
        {
            Photos = inputs.Count,
            Crops = all.Count,
            Subjects = all.Count(a => a.Subject),
            Background = all.Count(a => !a.Subject),
            AmbiguousPhotos = all.GroupBy(a => (a.ParentId, a.ModelSha256)).Count(g => !g.Any(a => a.Subject)),
            Changed = changed,
            Settings = settings,
        };
        if (inputs.Count > 0) LogAttributed(summary.Photos, summary.Subjects, summary.Background, summary.Changed);
        return summary;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attribution: {Photos} photos, {Subjects} subject crops, {Background} background crops, {Changed} rows changed")]
    private partial void LogAttributed(int photos, int subjects, int background, int changed);
}
