using Skillmaker.Skills;
using Skillmaker.Storage;
using Skillmaker.Tests.Training;
using Skillmaker.Training;
using Skillmaker.Vision.Skills;
using Skillmaker.Workspaces;
using Skillmaker.Evaluation;

namespace Skillmaker.Tests.Evaluation;

/// <summary>The evaluator's latency measurement, with the machine's clock replaced by a scripted one.</summary>
[Collection(TrainingCollection.Name)]
public sealed class EvaluatorTests(TrainingFixture fixture)
{
    [Fact]
    public async Task EvaluateAsync_SmallSplitWithOneSlowCallPerImage_LatencyIsTheMedianOfThreeCalls()
    {
        var workspace = await Workspace.OpenAsync(fixture.Root, CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        var blobs = WorkspaceStorage.OpenBlobs(workspace);
        var manifest = (await WorkspaceStorage.DatasetStore(catalog).GetManifestAsync(fixture.MakesGood.Json.GetProperty("manifestId").GetString()!, CancellationToken.None))!;
        using var predictor = SkillPredictor.Create(await SkillStore.For(workspace).LoadAsync(new SkillRef("makes", fixture.MakesGood.Json.GetProperty("version").GetInt32()), null, CancellationToken.None));
        // Every image's second call is hit by a 400 ms stall, as a busy machine does now and then.
        var clock = new ScriptedClock(round => round == 1 ? 400 : 5 + round);

        var summary = (await new Evaluator(blobs.ReadAllBytesAsync, clock).EvaluateAsync([predictor], manifest, null, CancellationToken.None))[0];

        var testImages = manifest.Items.Count(i => i.Split == Skillmaker.Datasets.Split.Test);
        Assert.InRange(testImages, 1, Evaluator.SmallSplit - 1);
        Assert.Equal(testImages * Evaluator.SmallSplitRounds, clock.Timed);
        Assert.Equal(7, summary.LatencyP50Ms, 6);
        Assert.Equal(7, summary.LatencyP95Ms, 6);
        Assert.Equal(fixture.MakesGood.Json.GetProperty("metrics").GetProperty("accuracy").GetDouble(), summary.Accuracy);
    }

    /// <summary>A clock whose timestamps are milliseconds: each timed call (a start and an end reading)
    /// lasts what <paramref name="durationOfRound"/> says for its round (0, 1, 2, 0, ...).</summary>
    private sealed class ScriptedClock(Func<int, long> durationOfRound) : TimeProvider
    {
        private long _now;
        private bool _started;

        /// <summary>Calls timed so far.</summary>
        public int Timed { get; private set; }

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp()
        {
            if (_started) _now += durationOfRound(Timed++ % Evaluator.SmallSplitRounds);
            _started = !_started;
            return _now;
        }
    }
}
