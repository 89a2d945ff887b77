using System.Buffers.Binary;
using System.Numerics.Tensors;
using Skillmaker.Common;

namespace Skillmaker.Vision.Heads;

/// <summary>Shrinkage linear discriminant analysis: each class is a Gaussian with its own mean and one
/// covariance shared by all classes, shrunk towards a scaled identity (Σ = (1 − α)·S + α·tr(S)/D·I, the
/// same model as the <c>mahalanobis</c> open-set score). Embeddings are L2-normalised first (optional).
/// The discriminant is linear: logit_c(x) = xᵀΣ⁻¹μ_c − ½μ_cᵀΣ⁻¹μ_c + log π_c, so the head file is
/// C × D weights and C biases. Σ⁻¹μ_c is computed in Woodbury form (rows × rows), which stays small when
/// the embedding has more dimensions than there are training rows. Probabilities are the softmax of the
/// logits. Deterministic (no randomness); row weights weight the class means and the covariance.</summary>
internal sealed record LdaHead : IHead
{
    private static ReadOnlySpan<byte> Magic => "SMLDA001"u8;
    private readonly int _dimension;
    private readonly bool _unit;
    private readonly float[] _weights;  // C×D
    private readonly float[] _biases;   // C

    private LdaHead(int classes, int dimension, bool unit, float[] weights, float[] biases)
    {
        Classes = classes;
        _dimension = dimension;
        _unit = unit;
        _weights = weights;
        _biases = biases;
    }

    public string Type => "lda";
    public int Classes { get; }

    /// <summary>The shrinkages cross-validation chooses from when <see cref="LdaParams.Shrinkage"/> is not set.</summary>
    public static readonly IReadOnlyList<double> ShrinkageGrid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    internal const int Folds = 5;

    /// <summary>The shrinkage the head was trained with (chosen by cross-validation when not set).</summary>
    public double Shrinkage { get; private init; }
    /// <summary>Cross-validated accuracy of each shrinkage tried (empty when the shrinkage was set).</summary>
    public IReadOnlyDictionary<double, double> CrossValidation { get; private init; } = new Dictionary<double, double>();

    /// <summary>Trains on every row. Without a set shrinkage, it is chosen from <see cref="ShrinkageGrid"/> by
    /// 5-fold cross-validation on these rows (folds are whole groups, so an image's augmented copies never
    /// straddle two folds; only each group's first row, the image as it is, is scored): the highest accuracy,
    /// ties to the larger shrinkage.</summary>
    public static LdaHead Train(HeadTrainingData data, LdaParams p)
    {
        var unit = p.Normalize == "l2";
        var rows = data.Features.Select(f => Prepare(f, unit)).ToList();
        var weights = Enumerable.Range(0, rows.Count).Select(i => (double)(data.Weights?[i] ?? 1f)).ToList();
        if (p.Shrinkage is { } fixedShrinkage)
            return new Model(rows, data.Labels, weights, data.Classes).Head(fixedShrinkage, p.Priors, unit);
        var groups = data.Groups ?? Enumerable.Range(0, rows.Count).ToList();
        var groupIds = groups.Distinct().ToList();
        var foldOf = groupIds.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => x.i % Folds);
        var firstOfGroup = new HashSet<int>(Enumerable.Range(0, rows.Count).GroupBy(i => groups[i]).Select(g => g.Min()));
        var correct = ShrinkageGrid.ToDictionary(a => a, _ => 0);
        var scored = 0;
        for (var f = 0; f < Math.Min(Folds, groupIds.Count); f++)
        {
            var fit = Enumerable.Range(0, rows.Count).Where(i => foldOf[groups[i]] != f).ToList();
            var held = Enumerable.Range(0, rows.Count).Where(i => foldOf[groups[i]] == f && firstOfGroup.Contains(i)).ToList();
            if (fit.Select(i => data.Labels[i]).Distinct().Count() < 2 || held.Count == 0) continue;
            var model = new Model([.. fit.Select(i => rows[i])], [.. fit.Select(i => data.Labels[i])], [.. fit.Select(i => weights[i])], data.Classes);
            foreach (var a in ShrinkageGrid)
            {
                var head = model.Head(a, p.Priors, unit: false);
                var logits = head.Logits([.. held.Select(i => rows[i])]);
                correct[a] += held.Where((i, k) => Array.IndexOf(logits[k], logits[k].Max()) == data.Labels[i]).Count();
            }
            scored += held.Count;
        }
        var chosen = scored == 0 ? 0.5 : ShrinkageGrid.OrderByDescending(a => correct[a]).ThenByDescending(a => a).First();
        return new Model(rows, data.Labels, weights, data.Classes).Head(chosen, p.Priors, unit) with
        {
            CrossValidation = scored == 0 ? new Dictionary<double, double>() : ShrinkageGrid.ToDictionary(a => a, a => correct[a] / (double)scored),
        };
    }

    /// <summary>Class means and within-class scatter of prepared rows, with the Gram matrix of the residuals
    /// (computed once; each shrinkage only changes its diagonal).</summary>
    private sealed class Model
    {
        private readonly int _n, _d, _classes;
        private readonly double[] _means, _mass, _gram;
        private readonly float[] _residuals;
        private readonly double _trace, _total;

        public Model(IReadOnlyList<float[]> rows, IReadOnlyList<int> labels, IReadOnlyList<double> weights, int classes)
        {
            _n = rows.Count;
            _d = rows[0].Length;
            _classes = classes;
            var d = _d;
            _means = new double[classes * d];
            _mass = new double[classes];
            for (var i = 0; i < _n; i++)
            {
                _mass[labels[i]] += weights[i];
                var offset = labels[i] * d;
                for (var j = 0; j < d; j++) _means[offset + j] += weights[i] * rows[i][j];
            }
            for (var c = 0; c < classes; c++)
                if (_mass[c] > 0) for (var j = 0; j < d; j++) _means[c * d + j] /= _mass[c];
            // Weighted within-class residuals X (n×D), scaled by √w so that XᵀX is the weighted scatter.
            _residuals = new float[_n * d];
            for (var i = 0; i < _n; i++)
            {
                var s = Math.Sqrt(weights[i]);
                var offset = labels[i] * d;
                for (var j = 0; j < d; j++)
                {
                    var r = (rows[i][j] - _means[offset + j]) * s;
                    _residuals[i * d + j] = (float)r;
                    _trace += r * r;
                }
            }
            _total = _mass.Sum();
            _gram = new double[_n * _n];
            for (var i = 0; i < _n; i++)
                for (var j = 0; j <= i; j++)
                    _gram[i * _n + j] = _gram[j * _n + i] = TensorPrimitives.Dot(_residuals.AsSpan(i * d, d), _residuals.AsSpan(j * d, d));
        }

        public LdaHead Head(double alpha, string priors, bool unit)
        {
            int n = _n, d = _d;
            var beta = Math.Max(alpha * _trace / _total / d, 1e-12);
            var c0 = (1 - alpha) / _total;
            // Σ = c0·XᵀX + βI, so Σ⁻¹ = (1/β)·(I − Xᵀ(β/c0·I + XXᵀ)⁻¹X); with α = 1 it is I/β.
            double[]? factor = null;
            if (c0 > 0)
            {
                factor = (double[])_gram.Clone();
                for (var i = 0; i < n; i++) factor[i * n + i] += beta / c0;
                Gaussian.Cholesky(factor, n);
            }
            var weights = new float[_classes * d];
            var biases = new float[_classes];
            var mean = new float[d];
            var projected = new double[n];
            var solved = new double[d];
            for (var c = 0; c < _classes; c++)
            {
                if (_mass[c] <= 0) { biases[c] = -1e30f; continue; }
                for (var j = 0; j < d; j++) mean[j] = (float)_means[c * d + j];
                Array.Copy(_means, c * d, solved, 0, d);
                if (factor is not null)
                {
                    for (var r = 0; r < n; r++) projected[r] = TensorPrimitives.Dot(_residuals.AsSpan(r * d, d), mean);
                    Gaussian.ForwardSolve(factor, n, projected);
                    Gaussian.BackSolve(factor, n, projected);
                    for (var r = 0; r < n; r++)
                    {
                        var y = projected[r];
                        var row = _residuals.AsSpan(r * d, d);
                        for (var j = 0; j < d; j++) solved[j] -= y * row[j];
                    }
                }
                double quadratic = 0;
                for (var j = 0; j < d; j++)
                {
                    var w = solved[j] / beta;
                    weights[c * d + j] = (float)w;
                    quadratic += w * _means[c * d + j];
                }
                var prior = priors == "uniform" ? 1.0 / _classes : _mass[c] / _total;
                biases[c] = (float)(-0.5 * quadratic + Math.Log(prior));
            }
            return new LdaHead(_classes, d, unit, weights, biases) { Shrinkage = alpha };
        }
    }

    /// <summary>The discriminant of each class (the log posterior up to a constant shared by the classes).</summary>
    public float[][] Logits(IReadOnlyList<float[]> embeddings)
    {
        var result = new float[embeddings.Count][];
        for (var q = 0; q < embeddings.Count; q++)
        {
            if (embeddings[q].Length != _dimension)
                throw new SkillmakerException($"The lda head expects {_dimension}-dimensional embeddings; got {embeddings[q].Length}.");
            var x = Prepare(embeddings[q], _unit);
            var logits = new float[Classes];
            for (var c = 0; c < Classes; c++) logits[c] = TensorPrimitives.Dot(x, _weights.AsSpan(c * _dimension, _dimension)) + _biases[c];
            result[q] = logits;
        }
        return result;
    }

    public float[][] Predict(IReadOnlyList<float[]> embeddings) => [.. Logits(embeddings).Select(Softmax)];

    internal static float[] Softmax(float[] logits)
    {
        var max = TensorPrimitives.Max(logits);
        var p = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = p.Sum();
        return [.. p.Select(v => (float)(v / sum))];
    }

    public byte[] Serialize()
    {
        var bytes = new byte[Magic.Length + 12 + 4 * (_weights.Length + _biases.Length)];
        Magic.CopyTo(bytes);
        var span = bytes.AsSpan(Magic.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, Classes);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], _dimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], _unit ? 1 : 0);
        span = span[12..];
        foreach (var v in _weights.Concat(_biases)) { BinaryPrimitives.WriteSingleLittleEndian(span, v); span = span[4..]; }
        return bytes;
    }

    public static LdaHead Deserialize(byte[] bytes, int classes)
    {
        if (bytes.Length < Magic.Length + 12 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new SkillmakerException("The lda head file is not a Skillmaker lda head (bad header).");
        var span = bytes.AsSpan(Magic.Length);
        var stored = BinaryPrimitives.ReadInt32LittleEndian(span);
        var dimension = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        var unit = BinaryPrimitives.ReadInt32LittleEndian(span[8..]) == 1;
        if (stored != classes) throw new SkillmakerException($"The lda head has {stored} classes; skill.json lists {classes} labels.");
        if (dimension < 1 || bytes.Length != Magic.Length + 12 + 4L * classes * (dimension + 1))
            throw new SkillmakerException("The lda head file is truncated or corrupt (its size does not match its header).");
        span = span[12..];
        var values = new float[classes * (dimension + 1)];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
        return new LdaHead(classes, dimension, unit, values[..(classes * dimension)], values[(classes * dimension)..]);
    }

    private static float[] Prepare(float[] vector, bool unit)
    {
        if (!unit) return vector;
        var result = new float[vector.Length];
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Divide(vector, norm, result);
        return result;
    }
}

/// <summary>Dense symmetric positive definite solves shared by the Gaussian heads and scores.</summary>
internal static class Gaussian
{
    /// <summary>In place: the lower factor L of a symmetric positive definite n×n matrix (upper part zeroed).</summary>
    public static void Cholesky(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var sum = a[j * n + j];
            for (var p = 0; p < j; p++) sum -= a[j * n + p] * a[j * n + p];
            if (!(sum > 0)) throw new SkillmakerException("The shared covariance is not positive definite; raise the shrinkage.");
            var diag = Math.Sqrt(sum);
            a[j * n + j] = diag;
            for (var i = j + 1; i < n; i++)
            {
                var s = a[i * n + j];
                for (var p = 0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
                a[i * n + j] = s / diag;
            }
            for (var i = 0; i < j; i++) a[i * n + j] = 0;
        }
    }

    /// <summary>Solves L·y = b in place (b becomes y).</summary>
    public static void ForwardSolve(double[] l, int n, double[] b)
    {
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            var row = i * n;
            for (var p = 0; p < i; p++) s -= l[row + p] * b[p];
            b[i] = s / l[row + i];
        }
    }

    /// <summary>Solves Lᵀ·x = y in place (y becomes x).</summary>
    public static void BackSolve(double[] l, int n, double[] y)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var p = i + 1; p < n; p++) s -= l[p * n + i] * y[p];
            y[i] = s / l[i * n + i];
        }
    }
}
