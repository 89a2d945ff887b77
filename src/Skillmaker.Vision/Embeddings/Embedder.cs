using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Skillmaker.Augmentation;
using Skillmaker.Common;
using Skillmaker.Vision.Augmentation;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Vision.Embeddings;

/// <summary>One embedding to produce: an image as it is (copy 0) or its augmented copy number
/// <see cref="Copy"/>, optionally pasting a patch of <see cref="DonorId"/> (copy-paste step). For a crop,
/// <see cref="ParentId"/> and <see cref="ParentRect"/> (the rectangle it was cut from, in the parent's
/// oriented pixels) let the box step grow past the crop's edges.</summary>
public sealed record EmbeddingRequest(string ImageId, int Copy = 0, string? DonorId = null, string? ParentId = null, global::Skillmaker.Detection.PixelRect? ParentRect = null);

/// <summary>What one embedding pass did. <see cref="BackboneRuns"/> is 0 when everything came from
/// the cache (or from a concurrent run in this process).</summary>
public sealed record EmbeddingStats(int Requested, int CacheHits, int SharedWithConcurrentRun, int Computed, int BackboneRuns, double Seconds);

public sealed record EmbedderOptions
{
    /// <summary>Images per backbone run. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Images decoded and preprocessed at once, beside inference. Default 1.</summary>
    public int DecodeParallelism { get; init; } = 1;

    /// <summary>Augmentation for copies 1..n; null when no copies are requested.</summary>
    public IReadOnlyList<AugmentationStep>? AugmentationSteps { get; init; }

    /// <summary>The workspace seed: the same seed, image and copy give the same augmented pixels.</summary>
    public long Seed { get; init; }
}

/// <summary>Backbone embeddings for many images, batched, cached and pipelined: images are decoded
/// (and augmented) on worker tasks while the backbone runs on full batches; every vector is written to
/// the cache as soon as it exists, so an interrupted run resumes where it stopped.</summary>
public sealed class Embedder(Backbone backbone, string backboneSha256, EmbeddingCache cache, Func<string, CancellationToken, Task<byte[]>> readImage, EmbedderOptions options)
{
    private readonly Augmenter? _augmenter = options.AugmentationSteps is { } steps ? new Augmenter(steps) : null;
    private readonly string _augmentationId = options.AugmentationSteps is { } s
        ? Sha256Hex.Of(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(s)))[..16]
        : "";

    public Backbone Backbone => backbone;

    public EmbeddingKey KeyOf(EmbeddingRequest request)
    {
        if (request.Copy == 0) return new(request.ImageId, backboneSha256, backbone.Preprocessor.Spec.Hash(), "");
        if (_augmenter is null) throw new InvalidOperationException("augmented copies were requested without augmentation steps");
        // A parent changes the pixels the box step makes, so it is part of the key (absent: the key as before).
        var parent = request.ParentId is { } p && request.ParentRect is { } r ? string.Create(CultureInfo.InvariantCulture, $"|parent {p} {r.X},{r.Y},{r.Width},{r.Height}") : "";
        var variant = Sha256Hex.Of(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"augment-v1|{_augmentationId}|{options.Seed}|{request.Copy}|{request.DonorId}{parent}")))[..24];
        return new(request.ImageId, backboneSha256, backbone.Preprocessor.Spec.Hash(), variant);
    }

    public async Task<(float[][] Vectors, EmbeddingStats Stats)> EmbedAsync(IReadOnlyList<EmbeddingRequest> requests, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var results = new float[requests.Count][];
        var keys = requests.Select(KeyOf).ToArray();
        int hits = 0, shared = 0, computed = 0, runs = 0, done = 0;
        void Advance(int n) => progress?.Report((Interlocked.Add(ref done, n), requests.Count));

        // The same key may be asked for twice (e.g. two rows of one image); it is computed once.
        var pending = Enumerable.Range(0, requests.Count).GroupBy(i => keys[i]).Select(g => g.ToArray()).ToList();
        while (pending.Count > 0)
        {
            var owned = new List<int[]>();
            var waiting = new List<(int[] Indexes, Task<float[]?> Result)>();
            foreach (var group in pending)
            {
                if (cache.TryRead(keys[group[0]], backbone.EmbeddingSize, out var cached))
                {
                    foreach (var i in group) results[i] = cached;
                    hits += group.Length;
                    Advance(group.Length);
                }
                else if (cache.TryClaim(keys[group[0]], out var other)) owned.Add(group);
                else waiting.Add((group, other));
            }
            if (owned.Count > 0)
            {
                var (made, batches) = await ComputeAsync(owned, requests, keys, results, Advance, cancellationToken);
                computed += made;
                runs += batches;
            }
            pending = [];
            foreach (var (indexes, result) in waiting)
            {
                // Another trainer in this process is computing it; if it gave up, try again ourselves.
                if (await result.WaitAsync(cancellationToken) is { } vector)
                {
                    foreach (var i in indexes) results[i] = vector;
                    shared += indexes.Length;
                    Advance(indexes.Length);
                }
                else pending.Add(indexes);
            }
        }
        return (results, new EmbeddingStats(requests.Count, hits, shared, computed, runs, watch.Elapsed.TotalSeconds));
    }

    private async Task<(int Computed, int Runs)> ComputeAsync(List<int[]> owned, IReadOnlyList<EmbeddingRequest> requests, EmbeddingKey[] keys, float[][] results, Action<int> advance, CancellationToken cancellationToken)
    {
        var per = backbone.Preprocessor.TensorLength;
        var batchSize = Math.Max(1, backbone.FixedBatch ?? options.BatchSize);
        var channel = Channel.CreateBounded<(int[] Indexes, float[] Tensor)>(new BoundedChannelOptions(batchSize * 2) { SingleReader = true });
        var finished = new HashSet<int>();
        var computed = 0;
        var runs = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var consumer = Task.Run(async () =>
            {
                try
                {
                    var batch = new float[batchSize * per];
                    var members = new List<int[]>(batchSize);
                    void Flush()
                    {
                        if (members.Count == 0) return;
                        var vectors = backbone.Run(batch, members.Count);
                        runs++;
                        for (var m = 0; m < members.Count; m++)
                        {
                            var vector = vectors.AsSpan(m * backbone.EmbeddingSize, backbone.EmbeddingSize).ToArray();
                            var group = members[m];
                            cache.Complete(keys[group[0]], vector);
                            lock (finished) finished.Add(group[0]);
                            foreach (var i in group) results[i] = vector;
                            computed++;
                            advance(group.Length);
                        }
                        members.Clear();
                    }
                    await foreach (var (indexes, tensor) in channel.Reader.ReadAllAsync(stop.Token))
                    {
                        tensor.AsSpan(0, per).CopyTo(batch.AsSpan(members.Count * per));
                        ArrayPool<float>.Shared.Return(tensor);
                        members.Add(indexes);
                        if (members.Count == batchSize) Flush();
                    }
                    Flush();
                }
                catch
                {
                    // Producers blocked on a full channel must not wait for a reader that is gone.
                    await stop.CancelAsync();
                    throw;
                }
            }, CancellationToken.None);

            // Decode each image once for all of its requested copies.
            var byImage = owned.GroupBy(g => requests[g[0]].ImageId).ToList();
            try
            {
                await Parallel.ForEachAsync(byImage, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.DecodeParallelism), CancellationToken = stop.Token }, async (image, ct) =>
                {
                    using var bitmap = ImageDecoding.DecodeOriented(await readImage(image.Key, ct), $"image {image.Key}");
                    foreach (var group in image)
                    {
                        var request = requests[group[0]];
                        var tensor = ArrayPool<float>.Shared.Rent(per);
                        if (request.Copy == 0) backbone.Preprocessor.Write(bitmap, tensor.AsSpan(0, per));
                        else
                        {
                            using var donor = request.DonorId is { } d ? ImageDecoding.DecodeOriented(await readImage(d, ct), $"image {d}") : null;
                            using var parent = request.ParentId is { } pid && request.ParentRect is not null ? ImageDecoding.DecodeOriented(await readImage(pid, ct), $"image {pid}") : null;
                            var box = request.ParentRect is { } pr ? new SkiaSharp.SKRectI(pr.X, pr.Y, pr.X + pr.Width, pr.Y + pr.Height) : (SkiaSharp.SKRectI?)null;
                            using var copy = _augmenter!.Apply(new AugmentSource(bitmap, parent, parent is null ? null : box), options.Seed, request.ImageId, request.Copy, donor);
                            backbone.Preprocessor.Write(copy, tensor.AsSpan(0, per));
                        }
                        await channel.Writer.WriteAsync((group, tensor), ct);
                    }
                });
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
                // When the backbone failed first, its error is the one worth reporting.
                if (consumer.IsFaulted || (await Task.WhenAny(consumer)).IsFaulted)
                    await consumer;
                throw;
            }
            await consumer;
        }
        finally
        {
            // Whatever was not computed is given back, so concurrent waiters do it themselves.
            foreach (var group in owned)
                if (!finished.Contains(group[0])) cache.Release(keys[group[0]]);
        }
        return (computed, runs);
    }
}
