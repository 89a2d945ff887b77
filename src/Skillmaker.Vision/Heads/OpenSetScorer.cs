using System.Numerics.Tensors;
using Skillmaker.Common;

namespace Skillmaker.Vision.Heads;

/// <summary>How far an embedding lies from what a skill was trained on: an out-of-distribution score
/// beside the head's softmax (higher = less like the training data).
/// <list type="bullet">
/// <item><c>knn</c>: 1 − cosine similarity to the k-th nearest training embedding, after centring on the
/// training mean and L2-normalising (Sun et al. 2022, "Out-of-distribution detection with deep nearest
/// neighbors").</item>
/// <item><c>mahalanobis</c>: the smallest squared Mahalanobis distance to a class mean, with one covariance
/// shared by all classes, shrunk towards a scaled identity (Lee et al. 2018), on L2-normalised
/// embeddings. The inverse is kept in Woodbury form (training rows × training rows), so it stays small when
/// the embedding has more dimensions than there are rows.</item>
/// <item><c>relative-mahalanobis</c>: the mahalanobis score minus the squared Mahalanobis distance to one
/// background Gaussian fitted on all training rows (its mean and its own shrunk covariance; Ren et al.
/// 2021, "A simple fix to Mahalanobis distance for improving near-OOD detection"): directions in which
/// every car varies stop counting as evidence of novelty.</item>
/// </list>
/// Deterministic and thread-safe once built.</summary>
public sealed class OpenSetScorer
{
    public const string FileName = "openset.bin";
    public static readonly IReadOnlyList<string> Methods = ["knn", "mahalanobis", "relative-mahalanobis"];
    private static ReadOnlySpan<byte> Magic => "SMOOD001"u8;

    private readonly int _k;
    private readonly float[] _mean;          // knn: centring vector (D)
    private readonly float[] _vectors;       // knn: unit training rows (n×D); mahalanobis: within-class residuals X (n×D)
    private readonly float[] _classMeans;    // mahalanobis: C×D
    private readonly double[] _cholesky;     // mahalanobis: lower Cholesky factor of (β/c)I + XXᵀ (n×n)
    private readonly double[] _projectedMeans; // mahalanobis: X·μ_c (C×n)
    private readonly double _beta;
    private readonly double _shrinkage;

    private OpenSetScorer(string method, int k, double shrinkage, int dimension, int rows, int classes, float[] mean, float[] vectors, float[] classMeans, double[] cholesky, double beta)
    {
        Method = method;
        _k = k;
        _shrinkage = shrinkage;
        Dimension = dimension;
        Rows = rows;
        Classes = classes;
        _mean = mean;
        _vectors = vectors;
        _classMeans = classMeans;
        _cholesky = cholesky;
        _beta = beta;
        _projectedMeans = new double[classes * rows];
        if (method != "knn")
            for (var c = 0; c < classes; c++)
                for (var r = 0; r < rows; r++)
                    _projectedMeans[c * rows + r] = TensorPrimitives.Dot(Row(_vectors, r, dimension), Row(_classMeans, c, dimension));
    }

    public string Method { get; }
    public int Dimension { get; }
    public int Rows { get; }
    public int Classes { get; }
    /// <summary>knn: the neighbour whose distance is the score (1 = nearest).</summary>
    public int K => _k;
    /// <summary>Whether each embedding value is replaced by its signed square root first.</summary>
    public bool Root { get; private init; }
    /// <summary>mahalanobis: the share of the identity in the shared covariance.</summary>
    public double Shrinkage => _shrinkage;
    /// <summary>relative-mahalanobis: the background Gaussian (a mahalanobis scorer with one class).</summary>
    private OpenSetScorer? Background { get; init; }

    /// <summary>Fits on the training embeddings (all rows: originals and augmented copies).</summary>
    /// <param name="k">knn: which neighbour's distance is the score.</param>
    /// <param name="shrinkage">mahalanobis: weight of the scaled identity in the covariance, in (0, 1].</param>
    public static OpenSetScorer Fit(string method, IReadOnlyList<float[]> features, IReadOnlyList<int> labels, int classes, int k = 5, double shrinkage = 0.5, bool root = false)
    {
        if (root) features = [.. features.Select(SignedRoot)];
        if (features.Count == 0) throw new SkillmakerException("The open-set scorer needs training embeddings; there are none.");
        var d = features[0].Length;
        var n = features.Count;
        switch (method)
        {
            case "knn":
            {
                var mean = new float[d];
                foreach (var f in features) TensorPrimitives.Add(mean, f, mean);
                TensorPrimitives.Divide(mean, n, mean);
                var vectors = new float[n * d];
                for (var i = 0; i < n; i++) CenteredUnit(features[i], mean, vectors.AsSpan(i * d, d));
                return new OpenSetScorer(method, Math.Clamp(k, 1, n), 0, d, n, classes, mean, vectors, [], [], 0) { Root = root };
            }
            case "relative-mahalanobis":
            {
                var classwise = Fit("mahalanobis", features, labels, classes, k, shrinkage);
                var background = Fit("mahalanobis", features, [.. labels.Select(_ => 0)], 1, k, shrinkage);
                return new OpenSetScorer(method, 0, shrinkage, d, n, classes, [], classwise._vectors, classwise._classMeans, classwise._cholesky, classwise._beta)
                    { Root = root, Background = background };
            }
            case "mahalanobis":
            {
                if (!(shrinkage > 0 && shrinkage <= 1)) throw new SkillmakerException($"mahalanobis shrinkage {shrinkage} is outside (0, 1].");
                var units = features.Select(f => { var u = new float[d]; CenteredUnit(f, null, u); return u; }).ToList();
                var classMeans = new float[classes * d];
                var counts = new int[classes];
                for (var i = 0; i < n; i++) { TensorPrimitives.Add(Row(classMeans, labels[i], d), units[i], Row(classMeans, labels[i], d)); counts[labels[i]]++; }
                for (var c = 0; c < classes; c++) if (counts[c] > 0) TensorPrimitives.Divide(Row(classMeans, c, d), counts[c], Row(classMeans, c, d));
                var residuals = new float[n * d];
                double trace = 0;
                for (var i = 0; i < n; i++)
                {
                    TensorPrimitives.Subtract(units[i], Row(classMeans, labels[i], d), residuals.AsSpan(i * d, d));
                    trace += TensorPrimitives.Dot(Row(residuals, i, d), Row(residuals, i, d));
                }
                // S = XᵀX/n; Σ = (1−α)S + βI with β = α·tr(S)/D.
                var beta = Math.Max(shrinkage * trace / n / d, 1e-12);
                var c0 = (1 - shrinkage) / n;
                var diagonal = c0 > 0 ? beta / c0 : double.PositiveInfinity;
                var gram = new double[n * n];
                for (var i = 0; i < n; i++)
                    for (var j = 0; j <= i; j++)
                        gram[i * n + j] = gram[j * n + i] = TensorPrimitives.Dot(Row(residuals, i, d), Row(residuals, j, d)) + (i == j ? Math.Min(diagonal, 1e30) : 0);
                Gaussian.Cholesky(gram, n);
                return new OpenSetScorer(method, 0, shrinkage, d, n, classes, [], residuals, classMeans, gram, beta) { Root = root };
            }
            default:
                throw new SkillmakerException($"'{method}' is not an open-set method; allowed: {string.Join(", ", Methods)}.");
        }
    }

    /// <summary>One score per embedding; higher means further from the training data.</summary>
    public float[] Score(IReadOnlyList<float[]> embeddings)
    {
        if (Root) embeddings = [.. embeddings.Select(SignedRoot)];
        var result = new float[embeddings.Count];
        var query = new float[Dimension];
        var similarities = Method == "knn" ? new float[Rows] : [];
        var projected = Method != "knn" ? new double[Rows] : [];
        var solved = Method != "knn" ? new double[Rows] : [];
        var background = Background?.Score(embeddings);
        for (var q = 0; q < embeddings.Count; q++)
        {
            if (embeddings[q].Length != Dimension)
                throw new SkillmakerException($"The open-set scorer expects {Dimension}-dimensional embeddings; got {embeddings[q].Length}.");
            if (Method == "knn")
            {
                CenteredUnit(embeddings[q], _mean, query);
                for (var r = 0; r < Rows; r++) similarities[r] = TensorPrimitives.Dot(query, Row(_vectors, r, Dimension));
                result[q] = 1 - KthLargest(similarities, _k);
            }
            else
            {
                CenteredUnit(embeddings[q], null, query);
                for (var r = 0; r < Rows; r++) projected[r] = TensorPrimitives.Dot(query, Row(_vectors, r, Dimension));
                var best = double.PositiveInfinity;
                var difference = new float[Dimension];
                for (var c = 0; c < Classes; c++)
                {
                    TensorPrimitives.Subtract(query, Row(_classMeans, c, Dimension), difference);
                    var norm = (double)TensorPrimitives.Dot(difference, difference);
                    for (var r = 0; r < Rows; r++) solved[r] = projected[r] - _projectedMeans[c * Rows + r];
                    Gaussian.ForwardSolve(_cholesky, Rows, solved);
                    var quad = 0.0;
                    foreach (var s in solved) quad += s * s;
                    best = Math.Min(best, (norm - quad) / _beta);
                }
                result[q] = background is null ? (float)Math.Max(best, 0) : (float)(Math.Max(best, 0) - background[q]);
            }
        }
        return result;
    }

    /// <summary>The score threshold at which <paramref name="coverage"/> of held-out known-class embeddings
    /// are answered, by cross-fitting on the training rows: the training images are split into
    /// <paramref name="folds"/> groups by position; each group's originals are scored by a scorer fitted
    /// on the other groups' rows (originals and copies). Answer when score ≤ threshold.</summary>
    /// <param name="groups">The training image of each row (rows of one image share a group).</param>
    /// <param name="originals">Whether each row is an image as it is (only those are scored).</param>
    public static OpenSetCalibration Calibrate(string method, IReadOnlyList<float[]> features, IReadOnlyList<int> labels, int classes, IReadOnlyList<int> groups, IReadOnlyList<bool> originals,
        double coverage, int k = 5, double shrinkage = 0.5, bool root = false, int folds = 10)
    {
        if (!(coverage > 0 && coverage <= 1)) throw new SkillmakerException($"coverage {coverage} is outside (0, 1].");
        var (scores, used) = CrossFittedScores(method, features, labels, classes, groups, originals, k, shrinkage, root, folds);
        return new OpenSetCalibration(Threshold(scores, coverage), scores.Length, used);
    }

    /// <summary>The held-out scores <see cref="Calibrate"/> takes its threshold from, and the folds used.</summary>
    public static (float[] Scores, int Folds) CrossFittedScores(string method, IReadOnlyList<float[]> features, IReadOnlyList<int> labels, int classes, IReadOnlyList<int> groups, IReadOnlyList<bool> originals,
        int k = 5, double shrinkage = 0.5, bool root = false, int folds = 10)
    {
        var scores = new List<float>();
        var images = groups.Distinct().Count();
        folds = Math.Clamp(folds, 2, Math.Max(2, images));
        for (var f = 0; f < folds; f++)
        {
            var fit = Enumerable.Range(0, features.Count).Where(i => groups[i] % folds != f).ToList();
            var held = Enumerable.Range(0, features.Count).Where(i => groups[i] % folds == f && originals[i]).ToList();
            if (fit.Count == 0 || held.Count == 0) continue;
            var scorer = Fit(method, [.. fit.Select(i => features[i])], [.. fit.Select(i => labels[i])], classes, k, shrinkage, root);
            scores.AddRange(scorer.Score([.. held.Select(i => features[i])]));
        }
        if (scores.Count == 0) throw new SkillmakerException("The open-set threshold needs at least two training images to cross-fit.");
        return ([.. scores], folds);
    }

    /// <summary>The smallest score at or below which <paramref name="coverage"/> of <paramref name="scores"/> lie.</summary>
    public static float Threshold(IReadOnlyList<float> scores, double coverage)
    {
        var sorted = scores.Order().ToArray();
        var index = Math.Clamp((int)Math.Ceiling(coverage * sorted.Length - 1e-9) - 1, 0, sorted.Length - 1);
        return sorted[index];
    }

    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(Magic);
        w.Write(Methods.ToList().IndexOf(Method));
        w.Write(_k);
        w.Write(_shrinkage);
        w.Write(Dimension);
        w.Write(Rows);
        w.Write(Classes);
        w.Write(_beta);
        w.Write(Root);
        foreach (var array in new[] { _mean, _vectors, _classMeans })
        {
            w.Write(array.Length);
            foreach (var v in array) w.Write(v);
        }
        w.Write(_cholesky.Length);
        foreach (var v in _cholesky) w.Write(v);
        if (Background is { } b)
        {
            var bytes = b.Serialize();
            w.Write(bytes.Length);
            w.Write(bytes);
        }
        w.Flush();
        return stream.ToArray();
    }

    public static OpenSetScorer Deserialize(byte[] bytes)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new SkillmakerException($"The open-set file is not a Skillmaker {FileName} (bad header).");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bytes.Length - Magic.Length, writable: false));
            var methodIndex = r.ReadInt32();
            if (methodIndex < 0 || methodIndex >= Methods.Count) throw new SkillmakerException($"The open-set file names an unknown method ({methodIndex}).");
            var k = r.ReadInt32();
            var shrinkage = r.ReadDouble();
            var dimension = r.ReadInt32();
            var rows = r.ReadInt32();
            var classes = r.ReadInt32();
            var beta = r.ReadDouble();
            var root = r.ReadBoolean();
            float[] Floats()
            {
                var length = r.ReadInt32();
                if (length < 0 || length > (bytes.Length / 4)) throw new EndOfStreamException();
                var a = new float[length];
                for (var i = 0; i < length; i++) a[i] = r.ReadSingle();
                return a;
            }
            var mean = Floats();
            var vectors = Floats();
            var classMeans = Floats();
            var length = r.ReadInt32();
            if (length < 0 || length > bytes.Length / 8) throw new EndOfStreamException();
            var cholesky = new double[length];
            for (var i = 0; i < length; i++) cholesky[i] = r.ReadDouble();
            if (vectors.Length != rows * dimension) throw new EndOfStreamException();
            OpenSetScorer? background = null;
            if (Methods[methodIndex] == "relative-mahalanobis")
            {
                var size = r.ReadInt32();
                if (size < 0 || size > bytes.Length) throw new EndOfStreamException();
                var inner = r.ReadBytes(size);
                if (inner.Length != size) throw new EndOfStreamException();
                background = Deserialize(inner);
                if (background.Method != "mahalanobis" || background.Dimension != dimension) throw new SkillmakerException("The open-set file's background Gaussian does not match its classes.");
            }
            return new OpenSetScorer(Methods[methodIndex], k, shrinkage, dimension, rows, classes, mean, vectors, classMeans, cholesky, beta) { Root = root, Background = background };
        }
        catch (EndOfStreamException)
        {
            throw new SkillmakerException($"The open-set file is truncated or corrupt (its size does not match its header).");
        }
    }

    private static Span<float> Row(float[] matrix, int row, int width) => matrix.AsSpan(row * width, width);

    private static float[] SignedRoot(float[] v)
    {
        var r = new float[v.Length];
        for (var i = 0; i < v.Length; i++) r[i] = MathF.CopySign(MathF.Sqrt(MathF.Abs(v[i])), v[i]);
        return r;
    }

    /// <summary>(v − mean) / |v − mean| (mean null: v / |v|); zero stays zero.</summary>
    private static void CenteredUnit(ReadOnlySpan<float> vector, float[]? mean, Span<float> destination)
    {
        if (mean is null) vector.CopyTo(destination);
        else TensorPrimitives.Subtract(vector, mean, destination);
        var norm = TensorPrimitives.Norm(destination);
        if (norm > 0) TensorPrimitives.Divide(destination, norm, destination);
    }

    private static float KthLargest(float[] values, int k)
    {
        if (k == 1) return TensorPrimitives.Max(values);
        var copy = (float[])values.Clone();
        Array.Sort(copy);
        return copy[copy.Length - Math.Min(k, copy.Length)];
    }
}

/// <summary>A threshold on the open-set score and what it was computed from.</summary>
public sealed record OpenSetCalibration(float Threshold, int HeldOutImages, int Folds);
