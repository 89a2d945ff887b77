using System.Buffers.Binary;
using System.Numerics.Tensors;
using Skillmaker.Common;

namespace Skillmaker.Vision.Heads;

/// <summary>k nearest neighbours by cosine similarity over the training embeddings. Deterministic:
/// neighbours are ordered by similarity, then by training row, so ties never depend on timing.
/// Probabilities are the neighbours' vote share; classes without a vote get a tiny share ordered by
/// their nearest example, so top-k ranks stay meaningful.</summary>
internal sealed class KnnHead : IHead
{
    private static ReadOnlySpan<byte> Magic => "SMKNN001"u8;
    private const float TieBreakShare = 1e-4f;
    private readonly int _k;
    private readonly bool _weighted;
    private readonly int _dimension;
    private readonly int[] _labels;
    // Unit-length training vectors, row after row.
    private readonly float[] _vectors;

    private KnnHead(int k, bool weighted, int classes, int dimension, int[] labels, float[] vectors)
    {
        _k = k;
        _weighted = weighted;
        Classes = classes;
        _dimension = dimension;
        _labels = labels;
        _vectors = vectors;
    }

    public string Type => "knn";
    public int Classes { get; }

    public static KnnHead Train(HeadTrainingData data, KnnParams p)
    {
        var dimension = data.Dimension;
        var vectors = new float[data.Features.Count * dimension];
        for (var i = 0; i < data.Features.Count; i++) Unit(data.Features[i], vectors.AsSpan(i * dimension, dimension));
        return new KnnHead(p.K, p.Weighting == "similarity", data.Classes, dimension, [.. data.Labels], vectors);
    }

    public float[][] Predict(IReadOnlyList<float[]> embeddings)
    {
        var rows = _labels.Length;
        var query = new float[_dimension];
        var similarities = new float[rows];
        var result = new float[embeddings.Count][];
        for (var q = 0; q < embeddings.Count; q++)
        {
            if (embeddings[q].Length != _dimension)
                throw new SkillmakerException($"The knn head expects {_dimension}-dimensional embeddings; got {embeddings[q].Length}.");
            Unit(embeddings[q], query);
            var best = new float[Classes];
            Array.Fill(best, -2f);
            for (var r = 0; r < rows; r++)
            {
                similarities[r] = TensorPrimitives.Dot(query, _vectors.AsSpan(r * _dimension, _dimension));
                best[_labels[r]] = Math.Max(best[_labels[r]], similarities[r]);
            }
            var neighbours = Enumerable.Range(0, rows).OrderByDescending(r => similarities[r]).ThenBy(r => r).Take(_k);
            var votes = new float[Classes];
            foreach (var r in neighbours) votes[_labels[r]] += _weighted ? Math.Max(similarities[r], 0) + 1e-6f : 1f;
            for (var c = 0; c < Classes; c++) votes[c] += TieBreakShare * (best[c] + 2) / 4;
            var sum = votes.Sum();
            result[q] = [.. votes.Select(v => v / sum)];
        }
        return result;
    }

    public byte[] Serialize()
    {
        var bytes = new byte[Magic.Length + 20 + 4 * _labels.Length + 4 * _vectors.Length];
        Magic.CopyTo(bytes);
        var span = bytes.AsSpan(Magic.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, _k);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], _weighted ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Classes);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], _dimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], _labels.Length);
        span = span[20..];
        foreach (var l in _labels) { BinaryPrimitives.WriteInt32LittleEndian(span, l); span = span[4..]; }
        foreach (var v in _vectors) { BinaryPrimitives.WriteSingleLittleEndian(span, v); span = span[4..]; }
        return bytes;
    }

    public static KnnHead Deserialize(byte[] bytes, int classes)
    {
        if (bytes.Length < Magic.Length + 20 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new SkillmakerException("The knn head file is not a Skillmaker knn head (bad header).");
        var span = bytes.AsSpan(Magic.Length);
        var k = BinaryPrimitives.ReadInt32LittleEndian(span);
        var weighted = BinaryPrimitives.ReadInt32LittleEndian(span[4..]) == 1;
        var stored = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var dimension = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var rows = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        if (stored != classes) throw new SkillmakerException($"The knn head has {stored} classes; skill.json lists {classes} labels.");
        if (bytes.Length != Magic.Length + 20 + 4L * rows + 4L * rows * dimension)
            throw new SkillmakerException("The knn head file is truncated or corrupt (its size does not match its header).");
        span = span[20..];
        var labels = new int[rows];
        for (var i = 0; i < rows; i++) labels[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]);
        span = span[(4 * rows)..];
        var vectors = new float[rows * dimension];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
        return new KnnHead(k, weighted, classes, dimension, labels, vectors);
    }

    private static void Unit(ReadOnlySpan<float> vector, Span<float> destination)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm == 0) { destination.Clear(); return; }
        TensorPrimitives.Divide(vector, norm, destination);
    }
}
