using System.Collections.Concurrent;

namespace Skillmaker.Serving;

/// <summary>Admission of a classify request before its body is read: a global budget of request bytes
/// held in memory (<see cref="ServingConfig.MaxInFlightBytes"/>) and a cap on the requests of one API key
/// (<see cref="ServingConfig.MaxInFlightPerKey"/>). The CPU queue (<see cref="InferenceGate"/>) comes after.</summary>
public sealed class InferenceAdmission(ServingConfig config)
{
    private readonly long _capacity = config.EffectiveMaxInFlightBytes;
    private readonly int _perKey = config.MaxInFlightPerKey;
    private readonly ConcurrentDictionary<string, int> _byKey = new(StringComparer.Ordinal);
    private long _bytes;
    private long _releasedSinceTrim;
    private int _trimming;

    /// <summary>Bytes released since the last trim above which the heap is given back to the system once
    /// nothing is in flight: 64 MiB, or four of the largest bodies.</summary>
    private readonly long _trimAfter = Math.Max(64L << 20, 4 * config.MaxBytes);

    /// <summary>Bytes reserved by requests in flight now.</summary>
    public long BytesInFlight => Interlocked.Read(ref _bytes);

    public long Capacity => _capacity;

    /// <summary>Reserves <paramref name="bytes"/> for a request of <paramref name="key"/> (null: no key).
    /// The ticket releases both when disposed; a refusal says which limit was hit.</summary>
    public (Ticket? Ticket, AdmissionRefusal Refusal) TryAdmit(string? key, long bytes)
    {
        if (key is not null && _perKey > 0)
        {
            var count = _byKey.AddOrUpdate(key, 1, (_, n) => n + 1);
            if (count > _perKey)
            {
                ReleaseKey(key);
                return (null, AdmissionRefusal.PerKey);
            }
        }
        while (true)
        {
            var used = Interlocked.Read(ref _bytes);
            if (used + bytes > _capacity)
            {
                if (key is not null && _perKey > 0) ReleaseKey(key);
                return (null, AdmissionRefusal.Memory);
            }
            if (Interlocked.CompareExchange(ref _bytes, used + bytes, used) == used) break;
        }
        return (new Ticket(this, key is not null && _perKey > 0 ? key : null, bytes), AdmissionRefusal.None);
    }

    private void ReleaseKey(string key)
    {
        // Remove the entry at zero so the map holds only keys with requests in flight.
        while (true)
        {
            var n = _byKey.GetValueOrDefault(key);
            if (n <= 1)
            {
                if (_byKey.TryRemove(KeyValuePair.Create(key, n))) return;
                if (n == 0) return;
            }
            else if (_byKey.TryUpdate(key, n - 1, n)) return;
        }
    }

    /// <summary>After a burst the request buffers are garbage on the large-object heap, which the GC would
    /// keep committed until memory pressure came; once the burst is over (nothing in flight) and enough was
    /// released, one compacting collection in the background returns it to the system.</summary>
    private void AfterRelease(long bytes, long left)
    {
        if (Interlocked.Add(ref _releasedSinceTrim, bytes) < _trimAfter || left != 0) return;
        if (Interlocked.Exchange(ref _trimming, 1) != 0) return;
        Interlocked.Exchange(ref _releasedSinceTrim, 0);
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            finally
            {
                Volatile.Write(ref _trimming, 0);
            }
        }, null);
    }

    public sealed class Ticket(InferenceAdmission owner, string? key, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            var left = Interlocked.Add(ref owner._bytes, -bytes);
            if (key is not null) owner.ReleaseKey(key);
            owner.AfterRelease(bytes, left);
        }
    }
}

public enum AdmissionRefusal
{
    None,
    /// <summary>The global byte budget is spent: 503.</summary>
    Memory,
    /// <summary>This API key has too many requests in flight: 429.</summary>
    PerKey,
}
