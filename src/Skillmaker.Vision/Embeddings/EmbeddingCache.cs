using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Skillmaker.Common;

namespace Skillmaker.Vision.Embeddings;

/// <summary>Which embedding: an image, seen by one backbone through one preprocessing, either as it is
/// (<see cref="Variant"/> empty) or as one augmented copy (the variant names the augmentation steps,
/// seed, copy index and donor image, so changing any of them gives a new entry).</summary>
public readonly record struct EmbeddingKey(string ImageId, string BackboneSha256, string PreprocessingHash, string Variant)
{
    public string RelativePath =>
        Path.Combine($"{BackboneSha256[..16]}-{PreprocessingHash[..16]}", ImageId[..2], $"{ImageId}.{(Variant.Length == 0 ? "orig" : Variant)}.emb");
}

/// <summary>Embeddings on disk in the workspace, one small binary file per key
/// (<c>.skillmaker/embeddings/BACKBONE-PREPROCESSING/ab/IMAGE.VARIANT.emb</c>: magic, dimension,
/// little-endian float32s). Safe for concurrent trainers: files are written to a temporary name and
/// moved into place only if absent (the first writer wins; every writer has the same vector), and
/// within one process a key being computed is claimed so that a second trainer waits for it instead of
/// running the backbone again.</summary>
public sealed class EmbeddingCache(string root)
{
    private static ReadOnlySpan<byte> Magic => "SMEMB001"u8;
    private readonly ConcurrentDictionary<EmbeddingKey, TaskCompletionSource<float[]?>> _inFlight = new();

    public string Root { get; } = root;

    /// <summary>Whether a vector is stored for <paramref name="key"/> (not whether it reads back well).</summary>
    public bool Contains(EmbeddingKey key) => File.Exists(Path.Combine(Root, key.RelativePath));

    public bool TryRead(EmbeddingKey key, int dimension, out float[] vector)
    {
        vector = [];
        var path = Path.Combine(Root, key.RelativePath);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        // A file of the wrong size or dimension (a different model under a colliding prefix, a torn
        // copy) is not trusted: it is recomputed and replaced.
        if (bytes.Length != Magic.Length + 4 + 4 * dimension || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length)) != dimension)
        {
            TryDelete(path);
            return false;
        }
        vector = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(Magic.Length + 4)).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (var i = 0; i < vector.Length; i++) vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(Magic.Length + 4 + 4 * i));
        return true;
    }

    public void Write(EmbeddingKey key, ReadOnlySpan<float> vector)
    {
        var path = Path.Combine(Root, key.RelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[Magic.Length + 4 + 4 * vector.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(Magic.Length), vector.Length);
        for (var i = 0; i < vector.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(Magic.Length + 4 + 4 * i), vector[i]);
        var temp = AtomicFile.TempSibling(path);
        File.WriteAllBytes(temp, bytes);
        AtomicFile.MoveIntoPlaceIfAbsent(temp, path);
    }

    /// <summary>Claims <paramref name="key"/> for computing. Returns true when the caller now owns it
    /// (and must <see cref="Complete"/> or <see cref="Release"/> it); false with the owner's pending
    /// result otherwise (null when the owner gave up: compute it yourself).</summary>
    public bool TryClaim(EmbeddingKey key, out Task<float[]?> pending)
    {
        var mine = new TaskCompletionSource<float[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = _inFlight.GetOrAdd(key, mine);
        pending = current.Task;
        return ReferenceEquals(current, mine);
    }

    /// <summary>Stores the vector and hands it to everyone waiting for the claim.</summary>
    public void Complete(EmbeddingKey key, float[] vector)
    {
        Write(key, vector);
        if (_inFlight.TryRemove(key, out var claim)) claim.TrySetResult(vector);
    }

    /// <summary>Gives a claim up without a vector (failure or cancellation): waiters compute it themselves.</summary>
    public void Release(EmbeddingKey key)
    {
        if (_inFlight.TryRemove(key, out var claim)) claim.TrySetResult(null);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
    }
}
