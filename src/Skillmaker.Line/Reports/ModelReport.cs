using Skillmaker.Datasets;
using Skillmaker.Evaluation;

namespace Skillmaker.Reports;

/// <summary>A failure shown in the report: the image, and where the model looked.</summary>
public sealed record FailureExample(Failure Failure, byte[] ImagePng, byte[]? HeatmapPng);

/// <summary>Everything a model report shows, gathered before rendering: an immutable summary that
/// exporters (PDF here) only lay out.</summary>
public sealed record ModelReport
{
    public required string Skill { get; init; }
    public required int Version { get; init; }
    public required string CodeVersion { get; init; }
    public required string ConfigHash { get; init; }
    public required string ManifestId { get; init; }
    public required string BackboneSha256 { get; init; }
    public required string BackbonePath { get; init; }
    public required string Head { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required IReadOnlyList<ClassCount> ClassCounts { get; init; }
    public IReadOnlyList<(string Source, int Images)> Sources { get; init; } = [];
    public required EvaluationSummary Evaluation { get; init; }
    public IReadOnlyList<FailureExample> Failures { get; init; } = [];
    /// <summary>The promotion decision, when the version went through the gate.</summary>
    public GateDecision? Gate { get; init; }
}
