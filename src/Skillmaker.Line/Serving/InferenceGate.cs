
namespace Skillmaker.Serving;

/// <summary>Admits at most <see cref="ServingConfig.EffectiveMaxConcurrent"/> classifications at once
/// and lets at most <see cref="ServingConfig.MaxQueued"/> more wait (asynchronously, holding no thread).</summary>
public sealed class InferenceGate(ServingConfig config) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(config.EffectiveMaxConcurrent, config.EffectiveMaxConcurrent);
    private readonly int _maxWaiting = config.MaxQueued;
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Every slot is taken and the queue is full: a new request would be refused now.</summary>
    public bool IsFull => _slots.CurrentCount == 0 && Waiting >= _maxWaiting;

    /// <summary>A turn, released by disposing it; null when the queue is full.</summary>
    public async Task<Turn?> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None)) return new Turn(_slots);
        if (Interlocked.Increment(ref _waiting) > _maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }
        try
        {
            await _slots.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        return new Turn(_slots);
    }

    public void Dispose() => _slots.Dispose();

    public sealed class Turn(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
