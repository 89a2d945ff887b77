using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Tests.Support;
using Skillmaker.Storage.Queue;

namespace Skillmaker.Tests.Core.Jobs;

/// <summary>How a waiting command learns that a run cannot finish, with Hangfire's real job states in
/// PostgreSQL and the ledger beside a real catalog; the jobs' outcomes are set as workers would leave them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JobDispatcherTests(PostgresFixture postgres, S3rverFixture s3)
{
    [Fact]
    public async Task WaitSettledAsync_OneJobFailedForGood_ReturnsTheOtherResultAndThatError()
    {
        var (ws, queue, dispatcher, ledger) = await SetUpAsync();
        await using var _ = ws;
        await dispatcher.SubmitAsync("eval", "eval-1", WorkspaceRef.Of(ws.Workspace), new[] { "a@1", "b@1" }, new { }, new NoFinish(), CancellationToken.None, batchSize: 1);
        await ledger.CompleteBatchAsync(new BatchCompletion("eval-1", 0, "\"ok\"", DateTimeOffset.UtcNow), CancellationToken.None);
        var failedJob = (await ledger.GetRunAsync("eval-1", false, CancellationToken.None))!.Batches[1].JobId!;
        Fail(queue, failedJob, "S3 is down");

        var (run, failures) = await dispatcher.WaitSettledAsync("eval-1", null, CancellationToken.None);
        var strict = await Assert.ThrowsAsync<SkillmakerException>(() => dispatcher.WaitAsync("eval-1", null, CancellationToken.None));

        Assert.Equal("\"ok\"", run.Batches[0].Result);
        var error = Assert.Single(failures);
        Assert.Equal(1, error.Key);
        Assert.Contains($"retries are used up (job {failedJob}): S3 is down", error.Value);
        Assert.Contains($"eval run eval-1: batch 2 of 2 (job {failedJob}) failed on a worker", strict.Message);
    }

    [Fact]
    public async Task WaitSettledAsync_EveryBatchDoneButTheFinishingJobFailed_ReturnsEveryResultInsteadOfWaitingForever()
    {
        var (ws, queue, dispatcher, ledger) = await SetUpAsync();
        await using var _ = ws;
        await dispatcher.SubmitAsync("eval", "eval-2", WorkspaceRef.Of(ws.Workspace), new[] { "a@1", "b@1" }, new { }, new NoFinish(), CancellationToken.None, batchSize: 1);
        await ledger.CompleteBatchAsync(new BatchCompletion("eval-2", 0, "\"a\"", DateTimeOffset.UtcNow), CancellationToken.None);
        await ledger.CompleteBatchAsync(new BatchCompletion("eval-2", 1, "\"b\"", DateTimeOffset.UtcNow), CancellationToken.None);
        // The last job recorded its result, then failed for good while finishing the run.
        var finisher = (await ledger.GetRunAsync("eval-2", false, CancellationToken.None))!.Batches[1].JobId!;
        Fail(queue, finisher, "registry unreachable");

        var (run, failures) = await dispatcher.WaitSettledAsync("eval-2", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        var strict = await Assert.ThrowsAsync<SkillmakerException>(() => dispatcher.WaitAsync("eval-2", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Empty(failures);
        Assert.Equal(["\"a\"", "\"b\""], run.Batches.Select(b => b.Result));
        Assert.Null(run.FinishedAt);
        Assert.Contains("registry unreachable", strict.Message);
    }

    private async Task<(TestWorkspace, HangfireQueue, JobDispatcher, IJobLedger)> SetUpAsync()
    {
        var settings = new JobsSettings { Storage = postgres.NewLocation("hf"), PollIntervalSeconds = 0.2 };
        var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var queue = await HangfireQueue.OpenAsync(settings.Storage, settings, QueueRole.Submitter, connectAttempts: 1, onRetry: null, environment: null, CancellationToken.None);
        var ledger = WorkspaceStorage.JobLedger(ws.Catalog);
        return (ws, queue, new JobDispatcher(queue, ledger, settings, TimeProvider.System, NullLogger<JobDispatcher>.Instance), ledger);
    }

    /// <summary>Leaves a job as Hangfire does once its retries are used up (no retry filter: this is the last attempt).</summary>
    private static void Fail(HangfireQueue queue, string jobId, string error) =>
        Assert.True(new BackgroundJobClient(queue.Storage, new Hangfire.Common.JobFilterCollection()).ChangeState(jobId, new FailedState(new InvalidOperationException(error))));

    private sealed class NoFinish : IBatchHandler
    {
        public Task<string> RunAsync(JobBatch batch, string context, CancellationToken cancellationToken) => throw new InvalidOperationException("no worker runs in these tests");

        public Task FinishAsync(JobRunRecord run, CancellationToken cancellationToken) => throw new InvalidOperationException("the run has batches");
    }
}
