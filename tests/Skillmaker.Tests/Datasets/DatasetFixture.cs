using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Datasets;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Datasets;

/// <summary>Builds workspaces where the real car photos come in sets of four (the same "advert"),
/// labelled by their class folder, through a CSV manifest as a dealer feed would send them.</summary>
internal static class DatasetSetup
{
    public const int PhotosPerSet = 4;

    /// <summary>Photo path → (set id, label) for every car photo.</summary>
    public static IReadOnlyList<(string Path, string SetId, string Label)> CarsInSets() =>
        [.. TestAssets.CarPhotos()
            .GroupBy(p => Path.GetFileName(Path.GetDirectoryName(p))!)
            .SelectMany(g => g.Select((p, i) => (p, $"{g.Key}-set{i / PhotosPerSet}", g.Key)))];

    public static async Task IngestAsync(TestWorkspace ws, IEnumerable<(string Path, string SetId, string Label)> rows, string source = "dealer")
    {
        var manifest = ws.Scratch.File($"feeds/{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(manifest, ["path,set_id,label", .. rows.Select(r => $"{r.Path},{r.SetId},{r.Label}")]);
        var summary = await ws.Ingest().RunAsync(new IngestRequest { Manifests = [manifest], Source = source, ManifestRoots = [TestAssets.Dir] }, null, CancellationToken.None);
        Assert.Empty(summary.Rejected);
    }

    public static DatasetService Service(TestWorkspace ws, TimeProvider? time = null) =>
        new(WorkspaceStorage.DatasetStore(ws.Catalog), ws.Workspace.Config.Seed, Path.Combine(ws.Workspace.StateDirectory, "manifests"), time ?? TimeProvider.System, NullLogger<DatasetService>.Instance);

    public static DatasetDefinition AllCars(double testFraction = 0.2) => new()
    {
        Name = "cars",
        ImageKind = Catalog.ImageKind.Original,
        ClassesFromLabels = true,
        AllowLabelHints = true,
        TestFraction = testFraction,
    };
}
