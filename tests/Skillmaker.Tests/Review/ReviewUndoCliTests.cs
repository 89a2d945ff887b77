using Skillmaker.Review;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Review;

public class ReviewUndoCliTests
{
    /// <summary>Issue 20: after Undo, `images show` still listed the retracted label as confirmed.</summary>
    [Fact]
    public async Task ImagesShow_AfterUndo_RetractedLabelIsMarkedUndone()
    {
        await using var ws = await TestWorkspace.CreateAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var review = new ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), TimeProvider.System);
        await review.ConfirmAsync([crops[0].CropId], "kept label", "ana", CancellationToken.None);
        var undone = await review.ConfirmAsync([crops[0].CropId], "mistake", "ana", CancellationToken.None);
        Assert.Equal(1, await review.UndoAsync(undone.BatchId, "bo", isAdmin: true, CancellationToken.None));

        var json = await CliRunner.RunAsync(ws.Root, "images", "show", crops[0].CropId, "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var labels = json.Json.GetProperty("labels").EnumerateArray().ToDictionary(l => l.GetProperty("label").GetString()!);
        Assert.Equal("bo", labels["mistake"].GetProperty("retracted").GetProperty("actor").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, labels["kept label"].GetProperty("retracted").ValueKind);

        var text = await CliRunner.RunAsync(ws.Root, "images", "show", crops[0].CropId);
        Assert.Contains("undone: confirmed mistake (expert, ana", text.Out);
        Assert.Contains("undone by bo", text.Out);
        Assert.Contains("  confirmed kept label (expert, ana", text.Out);
    }
}
