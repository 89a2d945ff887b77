using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

public sealed class InferenceGateTests
{
    [Fact]
    public async Task EnterAsync_SlotsAndQueueFull_RefusesAtOnceAndAdmitsTheWaiterOnRelease()
    {
        using var gate = new InferenceGate(new ServingConfig { MaxConcurrent = 1, MaxQueued = 1 });

        var first = await gate.EnterAsync(CancellationToken.None);
        var waiting = gate.EnterAsync(CancellationToken.None);
        var refused = await gate.EnterAsync(CancellationToken.None);

        Assert.NotNull(first);
        Assert.False(waiting.IsCompleted);
        Assert.Null(refused);
        Assert.Equal(1, gate.Waiting);
        first.Dispose();
        first.Dispose(); // a second release must not free a second slot
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(second);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task EnterAsync_WaiterCancelled_LeavesTheQueue()
    {
        using var gate = new InferenceGate(new ServingConfig { MaxConcurrent = 1, MaxQueued = 1 });
        using var first = await gate.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = gate.EnterAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Waiting);
    }
}
