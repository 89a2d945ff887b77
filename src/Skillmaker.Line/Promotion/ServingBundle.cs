using Skillmaker.Workspaces;

namespace Skillmaker.Promotion;

/// <summary>What a skill service's image holds: the promoted package, its backbone, the vehicle detector
/// and the workspace's serving limits, arranged as a small workspace that `skillmaker serve` runs as is.</summary>
public sealed record ServingBundleRequest
{
    public required string Skill { get; init; }
    public required int Version { get; init; }
    /// <summary>The immutable package folder of the promoted version.</summary>
    public required string PackageDirectory { get; init; }
    /// <summary>The package's folder inside a workspace's state folder, e.g. <c>skills/make/3</c>.</summary>
    public required string PackagePath { get; init; }
    public required string BackbonePath { get; init; }
    /// <summary>The model report with the gate decision, replacing the package copy's training-time report.</summary>
    public string? ReportPath { get; init; }
}

/// <summary>A bundle written next to its final place; <see cref="Commit"/> swaps it in, disposing an
/// uncommitted one deletes it, so a failed promotion leaves the previous bundle whole.</summary>
public interface IStagedServingBundle : IDisposable
{
    /// <summary>Where the bundle will be (and, after <see cref="Commit"/>, is).</summary>
    string Directory { get; }
    void Commit();
}

/// <summary>Writes serving bundles for the deployment files (implemented over the storage engines,
/// which the promotion code does not reference).</summary>
public interface IServingBundleWriter
{
    /// <summary>Stages the bundle for <paramref name="request"/> into <paramref name="directory"/> (not yet
    /// visible there); fails with a clear message when the detector or a file is missing.</summary>
    Task<IStagedServingBundle> StageAsync(Workspace source, ServingBundleRequest request, string directory, CancellationToken cancellationToken);
}
