using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skillmaker.Catalog;
using Skillmaker.Crowd;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Crowd;

/// <summary>The crowd queue, run against every catalog engine.</summary>
public abstract class CrowdQueueContract
{
    protected abstract Task<TestWorkspace> CreateWorkspaceAsync();

    private static CrowdService Service(TestWorkspace ws, TimeProvider time, CrowdOptions? options = null) =>
        new(WorkspaceStorage.CrowdStore(ws.Catalog), ws.Catalog, options ?? new CrowdOptions { GoldEvery = 0 }, time, NullLogger<CrowdService>.Instance);

    [Fact]
    public async Task NextTask_OverlapTaken_NoFurtherWorkerGetsIt()
    {
        await using var ws = await CreateWorkspaceAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var crowd = Service(ws, new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z")));
        Assert.Equal(1, await crowd.EnqueueAllCropsAsync(2, CancellationToken.None));
        Assert.Equal(0, await crowd.EnqueueAllCropsAsync(2, CancellationToken.None));

        var a = await crowd.NextTaskAsync("a", CancellationToken.None);
        var again = await crowd.NextTaskAsync("a", CancellationToken.None);
        var b = await crowd.NextTaskAsync("b", CancellationToken.None);
        var c = await crowd.NextTaskAsync("c", CancellationToken.None);

        Assert.NotNull(a);
        Assert.Equal(a.Task.Id, again!.Task.Id);
        Assert.Equal(a.Task.Id, b!.Task.Id);
        Assert.Null(c);
    }

    [Fact]
    public async Task NextTask_LockExpired_TaskGoesToAnotherWorkerAndIsAnsweredOnlyOverlapTimes()
    {
        await using var ws = await CreateWorkspaceAsync();
        await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z"));
        var crowd = Service(ws, time, new CrowdOptions { GoldEvery = 0, LockDuration = TimeSpan.FromMinutes(10) });
        await crowd.EnqueueAllCropsAsync(1, CancellationToken.None);

        var slow = await crowd.NextTaskAsync("slow", CancellationToken.None);
        Assert.Null(await crowd.NextTaskAsync("fast", CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(11));
        var fast = await crowd.NextTaskAsync("fast", CancellationToken.None);
        Assert.Equal(slow!.Task.Id, fast!.Task.Id);

        time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(SubmitOutcome.Recorded, await crowd.SubmitAsync(fast.Task.Id, "fast", "exterior", "good", CancellationToken.None));
        Assert.Equal(SubmitOutcome.TaskFull, await crowd.SubmitAsync(slow.Task.Id, "slow", "exterior", "good", CancellationToken.None));
        Assert.Equal(SubmitOutcome.AlreadyAnswered, await crowd.SubmitAsync(fast.Task.Id, "fast", "wheel", "good", CancellationToken.None));
        Assert.Equal(SubmitOutcome.NotAssigned, await crowd.SubmitAsync(fast.Task.Id, "stranger", "wheel", "good", CancellationToken.None));

        var answers = await WorkspaceStorage.CrowdStore(ws.Catalog).GetAnswersAsync(CancellationToken.None);
        var only = Assert.Single(answers);
        Assert.Equal(("fast", "exterior", 7.0), (only.Worker, only.Content, only.Seconds!.Value));
    }

    [Fact]
    public async Task Submit_UnknownAnswerValue_IsRefusedWithTheExpectedValues()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crowd = Service(ws, TimeProvider.System);
        var ex = await Assert.ThrowsAsync<Common.SkillmakerException>(() => crowd.SubmitAsync(1, "a", "car", "good", CancellationToken.None));
        Assert.Contains("interior, exterior, close-up", ex.Message);
    }

    [Fact]
    public async Task Consolidate_TieTwice_RequeuesThenEscalatesAndFeedsDatasetCandidates()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 2);
        var crowd = Service(ws, new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z")));
        await crowd.EnqueueAllCropsAsync(2, CancellationToken.None);

        async Task AnswerAllAsync(string worker, Func<string, string> content)
        {
            while (await crowd.NextTaskAsync(worker, CancellationToken.None) is { } a)
                Assert.Equal(SubmitOutcome.Recorded, await crowd.SubmitAsync(a.Task.Id, worker, content(a.Task.ImageId), "good", CancellationToken.None));
        }
        // Both agree on crop 0; they split on crop 1.
        await AnswerAllAsync("a", _ => "exterior");
        await AnswerAllAsync("b", id => id == crops[0].CropId ? "exterior" : "wheel");
        var first = await crowd.ConsolidateAsync(ConsolidationMethod.Majority, CancellationToken.None);
        Assert.Equal(CrowdOutcome.Resolved, first.Single(r => r.ImageId == crops[0].CropId).Outcome);
        Assert.Equal(CrowdOutcome.Requeued, first.Single(r => r.ImageId == crops[1].CropId).Outcome);

        // Round two: the split repeats, so the crop goes to the expert.
        await AnswerAllAsync("c", _ => "wheel");
        await AnswerAllAsync("d", _ => "close-up");
        var second = Assert.Single(await crowd.ConsolidateAsync(ConsolidationMethod.Majority, CancellationToken.None));
        Assert.Equal((crops[1].CropId, CrowdOutcome.Escalated), (second.ImageId, second.Outcome));
        Assert.Empty(await crowd.ConsolidateAsync(ConsolidationMethod.Majority, CancellationToken.None));

        // The escalated crop waits for an expert: it comes first in the review grid.
        var grid = await new Skillmaker.Review.ReviewService(WorkspaceStorage.ReviewStore(ws.Catalog), TimeProvider.System)
            .ItemsAsync(new Skillmaker.Review.ReviewQuery(), CancellationToken.None);
        Assert.Equal((crops[1].CropId, true), (grid[0].CropId, grid[0].CrowdEscalated));

        var candidates = (await WorkspaceStorage.DatasetStore(ws.Catalog).GetCandidatesAsync(ImageKind.Crop, CancellationToken.None)).ToDictionary(c => c.ImageId);
        Assert.Equal(("exterior", "good"), (candidates[crops[0].CropId].CrowdContent, candidates[crops[0].CropId].CrowdQuality));
        Assert.Null(candidates[crops[1].CropId].CrowdContent);
    }

    /// <summary>Issue 20: w1 said unsure on a crop and got the same crop again in its second round.</summary>
    [Fact]
    public async Task NextTask_RequeuedCrop_GoesOnlyToWorkersWhoHaveNotAnsweredIt()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 1);
        var crowd = Service(ws, new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z")));
        await crowd.EnqueueAllCropsAsync(2, CancellationToken.None);
        foreach (var (worker, content) in new[] { ("w1", "unsure"), ("w2", "wheel") })
        {
            var a = await crowd.NextTaskAsync(worker, CancellationToken.None);
            Assert.Equal(SubmitOutcome.Recorded, await crowd.SubmitAsync(a!.Task.Id, worker, content, "good", CancellationToken.None));
        }
        var result = Assert.Single(await crowd.ConsolidateAsync(ConsolidationMethod.WeightedMajority, CancellationToken.None));
        Assert.Equal(CrowdOutcome.Requeued, result.Outcome);

        Assert.Null(await crowd.NextTaskAsync("w1", CancellationToken.None));
        Assert.Null(await crowd.NextTaskAsync("w2", CancellationToken.None));
        var fresh = await crowd.NextTaskAsync("w3", CancellationToken.None);
        Assert.Equal((crops[0].CropId, 2), (fresh!.Task.ImageId, fresh.Task.Round));
    }

    [Fact]
    public async Task GoldTasks_EveryNthTask_ScoreWorkers()
    {
        await using var ws = await CreateWorkspaceAsync();
        var crops = await Crops.MakeAsync(ws, classes: 1, perClass: 3);
        var crowd = Service(ws, TimeProvider.System, new CrowdOptions { GoldEvery = 2 });
        await crowd.EnqueueAllCropsAsync(3, CancellationToken.None);
        var gold = await crowd.SetGoldAsync(crops[2].CropId, "close-up", "good", CancellationToken.None);

        var served = new List<long>();
        while (await crowd.NextTaskAsync("w", CancellationToken.None) is { } a)
        {
            served.Add(a.Task.Id);
            await crowd.SubmitAsync(a.Task.Id, "w", a.Task.IsGold ? "exterior" : "exterior", "good", CancellationToken.None);
        }

        Assert.Equal(gold.Id, served[1]);
        var score = Assert.Single(await crowd.ScoreWorkersAsync(CancellationToken.None));
        Assert.Equal((3, 1, 0, 1), (score.Answers, score.GoldAnswers, score.GoldContentCorrect, score.GoldQualityCorrect));
        var photo = await Assert.ThrowsAsync<Common.SkillmakerException>(() => crowd.SetGoldAsync(crops[0].ParentId, "exterior", "good", CancellationToken.None));
        Assert.Contains("original photo", photo.Message);
    }
}

public sealed class CrowdQueueTests : CrowdQueueContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() => TestWorkspace.CreateAsync();
}

/// <summary>The same crowd queue on PostgreSQL (and S3 blobs).</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrowdQueueOnPostgresTests(PostgresFixture postgres, S3rverFixture s3) : CrowdQueueContract
{
    protected override Task<TestWorkspace> CreateWorkspaceAsync() =>
        TestWorkspace.OnPostgresAsync(postgres, s3);
}
