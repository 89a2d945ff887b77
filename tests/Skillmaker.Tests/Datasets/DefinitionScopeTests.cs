using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Datasets;

/// <summary>What a definition takes in: its sources, its classes (no label silently becomes a class),
/// and whether it is a test set.</summary>
public sealed class DefinitionScopeTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static IEnumerable<(string Path, string SetId, string Label)> Classes(params string[] classes) =>
        DatasetSetup.CarsInSets().Where(r => classes.Contains(r.Label));

    [Fact]
    public async Task ExtractAsync_SecondLabelledSource_FilteredBySourcesAndNewClassesRefusedUntilAccepted()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await DatasetSetup.IngestAsync(ws, Classes("audi_s4_sedan_2012", "bmw_m3_coupe_2012"), source: "dealer");
        var service = DatasetSetup.Service(ws);
        var first = await service.ExtractAsync(DatasetSetup.AllCars(), null, None);
        await DatasetSetup.IngestAsync(ws, Classes("tesla_model_s_sedan_2012"), source: "fans");
        var manifestsBefore = (await WorkspaceStorage.DatasetStore(ws.Catalog).ListManifestsAsync(None)).Count;

        var refused = await Assert.ThrowsAsync<InvalidSettingException>(() => service.ExtractAsync(DatasetSetup.AllCars(), null, None));
        var onlyDealer = await service.ExtractAsync(DatasetSetup.AllCars() with { Sources = ["dealer"] }, null, None);
        var accepted = await service.ExtractAsync(DatasetSetup.AllCars(), null, acceptNewClasses: true, None);

        Assert.Equal(["audi_s4_sedan_2012", "bmw_m3_coupe_2012"], first.Manifest.Classes);
        Assert.Equal("acceptNewClasses", Assert.Single(refused.Errors).Field);
        Assert.Contains("tesla_model_s_sedan_2012", refused.Message);
        Assert.Equal(first.Manifest.Items, onlyDealer.Manifest.Items);
        Assert.Equal(28, onlyDealer.Manifest.Excluded["from another source (sources)"]);
        Assert.Equal(["tesla_model_s_sedan_2012"], accepted.AddedClasses);
        Assert.Equal(3, accepted.Manifest.Classes.Count);
        Assert.Equal(manifestsBefore + 2, (await WorkspaceStorage.DatasetStore(ws.Catalog).ListManifestsAsync(None)).Count);
        var unknown = await Assert.ThrowsAsync<InvalidSettingException>(() => service.ExtractAsync(DatasetSetup.AllCars() with { Sources = ["dealr"] }, null, None));
        Assert.Equal("sources", Assert.Single(unknown.Errors).Field);
        Assert.Contains("known: dealer, fans", unknown.Message);
    }

    [Fact]
    public async Task ExtractAsync_RoleTest_EveryItemTestAndStaysTest()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await DatasetSetup.IngestAsync(ws, Classes("audi_s4_sedan_2012", "bmw_m3_coupe_2012"));
        var service = DatasetSetup.Service(ws);

        var testSet = await service.ExtractAsync(DatasetSetup.AllCars() with { Name = "outside", Role = DatasetRole.Test }, null, None);
        // The test set's items stay test in every later manifest, even one that asks for no test split.
        var trainAll = await Assert.ThrowsAsync<SkillmakerException>(() => service.ExtractAsync(DatasetSetup.AllCars(testFraction: 0), null, None));

        Assert.All(testSet.Manifest.Items, i => Assert.Equal(Split.Test, i.Split));
        Assert.Equal(56, testSet.Manifest.Items.Count);
        Assert.Contains("no training items", trainAll.Message);
    }

    [Fact]
    public async Task ExtractAsync_TestFractionZero_EveryNewGroupInTrain()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        await DatasetSetup.IngestAsync(ws, Classes("audi_s4_sedan_2012", "bmw_m3_coupe_2012"));

        var result = await DatasetSetup.Service(ws).ExtractAsync(DatasetSetup.AllCars(testFraction: 0), null, None);

        Assert.Equal(56, result.Manifest.Items.Count);
        Assert.All(result.Manifest.Items, i => Assert.Equal(Split.Train, i.Split));
    }
}
