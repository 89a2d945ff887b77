using Skillmaker.Catalog;
using Skillmaker.Serving;

namespace Skillmaker.Demo;

/// <summary>Everything one demo run did and made; printed as the <c>--json</c> object.</summary>
public sealed record DemoResult
{
    public required DemoWorkspaceInfo Workspace { get; init; }
    public required string Assets { get; init; }
    /// <summary>The git commit of the code that ran the demo (and trained and served the skills).</summary>
    public required string CodeVersion { get; init; }
    public required IReadOnlyList<DemoStage> Stages { get; init; }
    public required DemoCatalog Catalog { get; init; }
    public required DemoCrowd Crowd { get; init; }
    public required IReadOnlyList<DemoSkillResult> Skills { get; init; }
    public required DemoServing Serving { get; init; }
    public required IReadOnlyList<DemoAnswer> Answers { get; init; }
    public required IReadOnlyList<DemoArtefact> Artefacts { get; init; }
    public required double Seconds { get; init; }
}

public sealed record DemoWorkspaceInfo(string Path, string Action, long Seed);

/// <summary>One stage of the line: how long it took, one sentence, and its figures.</summary>
public sealed record DemoStage(string Name, double Seconds, string Summary, object Details);

public sealed record DemoCatalog(string Path, CatalogCounts Counts, IReadOnlyList<string> Sources, int ImagesWithLabelHints, string Blobs, int BlobFiles);

/// <summary>The crowd step as the demo runs it: the sources' label hints are accepted as labels.</summary>
public sealed record DemoCrowd(int LabelsAccepted, string Provenance, int TasksQueued, int Overlap, string Note);

public sealed record DemoSkillResult
{
    public required string Name { get; init; }
    public required int Version { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required string DefinitionFile { get; init; }
    public required string ConfigFile { get; init; }
    public required string ManifestId { get; init; }
    public required string ManifestJson { get; init; }
    public required string ManifestCsv { get; init; }
    public required int TrainItems { get; init; }
    public required int TestItems { get; init; }
    public required string Package { get; init; }
    public required double Accuracy { get; init; }
    public required double BalancedAccuracy { get; init; }
    public required double LatencyP95Ms { get; init; }
    public required string Evaluation { get; init; }
    public required string Report { get; init; }
    public required bool Promoted { get; init; }
    public required string GateDecision { get; init; }
    public required string PromotionRecord { get; init; }
    public required IReadOnlyList<string> DeploymentFiles { get; init; }
}

public sealed record DemoServing(string Config, string Address, string ApiClient, IReadOnlyDictionary<string, int> SkillVersions, bool Stopped);

/// <summary>One photo classified over HTTP by the running server.</summary>
public sealed record DemoAnswer
{
    public required string Photo { get; init; }
    public required string Why { get; init; }
    /// <summary>What the photo is known to show (its label hint), when it has one.</summary>
    public string? Truth { get; init; }
    public required int HttpStatus { get; init; }
    /// <summary>The <c>X-Skillmaker-Skill-Versions</c> header, e.g. "make@1, audi-variant@1".</summary>
    public required string SkillVersionsHeader { get; init; }
    public required ClassifyAnswer Answer { get; init; }
}

public sealed record DemoArtefact(string Name, string Path, string Detail);
