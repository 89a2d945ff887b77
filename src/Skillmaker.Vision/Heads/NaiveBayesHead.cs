using Skillmaker.Common;

namespace Skillmaker.Vision.Heads;

/// <summary>Gaussian naive Bayes: each class is a product of independent normal distributions, one per
/// embedding dimension (per-class mean and variance, weighted by row weights), plus its prior. To keep
/// variances of near-constant dimensions from dominating, <see cref="NaiveBayesParams.VarSmoothing"/> times
/// the largest dimension variance is added to every variance (as scikit-learn's <c>var_smoothing</c>).
/// Probabilities are the normalised posteriors. Deterministic (no randomness).</summary>
internal sealed class NaiveBayesHead : IHead
{
    private static ReadOnlySpan<byte> Magic => "SMGNB001"u8;
    private readonly int _dimension;
    private readonly double[] _logPriors;
    private readonly float[] _means;      // C×D
    private readonly float[] _variances;  // C×D
    private readonly double[] _logNormalisers; // per class: −½ Σ log(2π σ²)

    private NaiveBayesHead(int classes, int dimension, double[] logPriors, float[] means, float[] variances)
    {
        Classes = classes;
        _dimension = dimension;
        _logPriors = logPriors;
        _means = means;
        _variances = variances;
        _logNormalisers = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            double sum = 0;
            for (var j = 0; j < dimension; j++) sum += Math.Log(2 * Math.PI * variances[c * dimension + j]);
            _logNormalisers[c] = -0.5 * sum;
        }
    }

    public string Type => "naive-bayes";
    public int Classes { get; }

    public static NaiveBayesHead Train(HeadTrainingData data, NaiveBayesParams p)
    {
        var d = data.Dimension;
        var c = data.Classes;
        var weight = new double[c];
        var sums = new double[c * d];
        var squares = new double[c * d];
        for (var i = 0; i < data.Features.Count; i++)
        {
            var w = data.Weights?[i] ?? 1f;
            var label = data.Labels[i];
            weight[label] += w;
            var row = data.Features[i];
            for (var j = 0; j < d; j++)
            {
                sums[label * d + j] += w * row[j];
                squares[label * d + j] += w * row[j] * (double)row[j];
            }
        }
        var means = new float[c * d];
        var variances = new double[c * d];
        double largest = 0;
        for (var k = 0; k < c; k++)
        {
            if (weight[k] <= 0) continue;
            for (var j = 0; j < d; j++)
            {
                var mean = sums[k * d + j] / weight[k];
                means[k * d + j] = (float)mean;
                variances[k * d + j] = Math.Max(squares[k * d + j] / weight[k] - mean * mean, 0);
            }
        }
        // The largest variance of any dimension over all rows sets the smoothing scale.
        var total = weight.Sum();
        for (var j = 0; j < d; j++)
        {
            double s = 0, q = 0;
            for (var k = 0; k < c; k++) { s += sums[k * d + j]; q += squares[k * d + j]; }
            largest = Math.Max(largest, q / total - (s / total) * (s / total));
        }
        var epsilon = Math.Max(p.VarSmoothing * largest, 1e-12);
        var smoothed = variances.Select(v => (float)(v + epsilon)).ToArray();
        // Classes without rows get the smoothing variance and a vanishing prior.
        var priors = weight.Select(w => p.Priors == "uniform" ? Math.Log(1.0 / c) : Math.Log(Math.Max(w, 1e-9) / total)).ToArray();
        return new NaiveBayesHead(c, d, priors, means, smoothed);
    }

    public float[][] Predict(IReadOnlyList<float[]> embeddings)
    {
        var result = new float[embeddings.Count][];
        var log = new double[Classes];
        for (var q = 0; q < embeddings.Count; q++)
        {
            var x = embeddings[q];
            if (x.Length != _dimension)
                throw new SkillmakerException($"The naive-bayes head expects {_dimension}-dimensional embeddings; got {x.Length}.");
            for (var c = 0; c < Classes; c++)
            {
                double sum = 0;
                var offset = c * _dimension;
                for (var j = 0; j < _dimension; j++)
                {
                    var diff = x[j] - _means[offset + j];
                    sum += diff * diff / _variances[offset + j];
                }
                log[c] = _logPriors[c] + _logNormalisers[c] - 0.5 * sum;
            }
            var max = log.Max();
            var exp = log.Select(l => Math.Exp(l - max)).ToArray();
            var total = exp.Sum();
            result[q] = [.. exp.Select(e => (float)(e / total))];
        }
        return result;
    }

    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(Magic);
        w.Write(Classes);
        w.Write(_dimension);
        foreach (var v in _logPriors) w.Write(v);
        foreach (var v in _means) w.Write(v);
        foreach (var v in _variances) w.Write(v);
        w.Flush();
        return stream.ToArray();
    }

    public static NaiveBayesHead Deserialize(byte[] bytes, int classes)
    {
        if (bytes.Length < Magic.Length + 8 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new SkillmakerException("The naive-bayes head file is not a Skillmaker naive-bayes head (bad header).");
        using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bytes.Length - Magic.Length, writable: false));
        var stored = r.ReadInt32();
        var dimension = r.ReadInt32();
        if (stored != classes) throw new SkillmakerException($"The naive-bayes head has {stored} classes; skill.json lists {classes} labels.");
        if (dimension < 1 || bytes.Length != Magic.Length + 8 + 8L * stored + 8L * stored * dimension)
            throw new SkillmakerException("The naive-bayes head file is truncated or corrupt (its size does not match its header).");
        var priors = new double[stored];
        for (var i = 0; i < stored; i++) priors[i] = r.ReadDouble();
        var means = new float[stored * dimension];
        for (var i = 0; i < means.Length; i++) means[i] = r.ReadSingle();
        var variances = new float[stored * dimension];
        for (var i = 0; i < variances.Length; i++) variances[i] = r.ReadSingle();
        return new NaiveBayesHead(stored, dimension, priors, means, variances);
    }
}
