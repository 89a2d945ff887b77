using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Skillmaker.Common;

namespace Skillmaker.Vision.Heads;

/// <summary>Heads trained with ML.NET (logistic, lightgbm, linear-svm), saved as ML.NET model zips.
/// Determinism: the MLContext is seeded, every trainer runs on one thread, and the zip is rewritten
/// with fixed entry timestamps, so the same rows and parameters give the same bytes.</summary>
internal sealed class MlNetHead : IHead
{
    private static readonly DateTimeOffset ZipTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _inputSchema;
    // PredictionEngine is not thread-safe; a pool gives each concurrent caller its own.
    private readonly ConcurrentBag<PredictionEngine<ScoreInput, ScoreOutput>> _engines = [];
    private readonly Lock _create = new();

    private MlNetHead(string type, MLContext ml, ITransformer model, int classes, int dimension)
    {
        Type = type;
        _ml = ml;
        _model = model;
        Classes = classes;
        _inputSchema = SchemaDefinition.Create(typeof(ScoreInput));
        _inputSchema[nameof(ScoreInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
    }

    public string Type { get; }
    public int Classes { get; }

    public static TrainedHead Train(string type, object parameters, HeadTrainingData data, int seed)
    {
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(TrainRow));
        schema[nameof(TrainRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Dimension);
        schema[nameof(TrainRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)data.Classes);
        // LoadFromEnumerable reads a key-typed uint as a 0-based index (it stores index + 1, since key 0
        // means missing), so class c is given as c and comes out as score slot c.
        var rows = Enumerable.Range(0, data.Features.Count)
            .Select(i => new TrainRow { Features = data.Features[i], Label = (uint)data.Labels[i], Weight = data.Weights?[i] ?? 1f }).ToList();
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        const string features = nameof(TrainRow.Features), label = nameof(TrainRow.Label), weight = nameof(TrainRow.Weight);

        IEstimator<ITransformer> pipeline = parameters switch
        {
            LogisticParams { Trainer: "sdca" } p => Normalized(ml, p.Normalize).Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, ExampleWeightColumnName = weight,
                L2Regularization = (float?)p.L2, MaximumNumberOfIterations = p.MaxIterations, NumberOfThreads = 1, Shuffle = true,
            })),
            LogisticParams p => Normalized(ml, p.Normalize).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, ExampleWeightColumnName = weight,
                L2Regularization = (float)p.L2!.Value, L1Regularization = (float)p.L1, MaximumNumberOfIterations = p.MaxIterations, NumberOfThreads = 1,
            })),
            LightGbmParams p => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, ExampleWeightColumnName = weight,
                NumberOfIterations = p.Iterations, NumberOfLeaves = p.Leaves, LearningRate = p.LearningRate,
                MinimumExampleCountPerLeaf = p.MinExamplesPerLeaf, NumberOfThreads = 1, Seed = seed, Silent = true,
                UseSoftmax = true,
            }),
            LinearSvmParams p => Normalized(ml, p.Normalize).Append(ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.LinearSvm(new LinearSvmTrainer.Options
                {
                    FeatureColumnName = features, ExampleWeightColumnName = weight,
                    NumberOfIterations = p.Iterations, Lambda = (float)p.Lambda,
                }), labelColumnName: label)),
            _ => throw new ArgumentException($"not an ML.NET head: {parameters.GetType().Name}", nameof(parameters)),
        };
        var model = pipeline.Fit(view);
        using var saved = new MemoryStream();
        ml.Model.Save(model, view.Schema, saved);
        return new TrainedHead(new MlNetHead(type, ml, model, data.Classes, data.Dimension), CanonicalZip(saved.ToArray()), HeadFactory.MlNetFileName);
    }

    public static MlNetHead Load(string type, byte[] file, int classes)
    {
        var ml = new MLContext(0);
        ITransformer model;
        DataViewSchema input;
        try
        {
            using var stream = new MemoryStream(file, writable: false);
            model = ml.Model.Load(stream, out input);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException)
        {
            throw new SkillmakerException($"The {type} head file is not a readable ML.NET model: {ex.Message}", ex);
        }
        var column = input.GetColumnOrNull(nameof(TrainRow.Features))
            ?? throw new SkillmakerException($"The {type} head file has no '{nameof(TrainRow.Features)}' input column.");
        var dimension = column.Type is VectorDataViewType { Size: > 0 } vector ? vector.Size : throw new SkillmakerException($"The {type} head file's Features column is not a fixed-size vector.");
        var head = new MlNetHead(type, ml, model, classes, dimension);
        var probe = head.Predict([new float[dimension]]);
        if (probe[0].Length != classes)
            throw new SkillmakerException($"The {type} head scores {probe[0].Length} classes; skill.json lists {classes} labels.");
        return head;
    }

    public float[][] Predict(IReadOnlyList<float[]> embeddings)
    {
        if (!_engines.TryTake(out var engine))
            lock (_create) engine = _ml.Model.CreatePredictionEngine<ScoreInput, ScoreOutput>(_model, inputSchemaDefinition: _inputSchema);
        try
        {
            var result = new float[embeddings.Count][];
            var input = new ScoreInput();
            var output = new ScoreOutput();
            for (var i = 0; i < embeddings.Count; i++)
            {
                input.Features = embeddings[i];
                engine.Predict(input, ref output);
                result[i] = Normalize(output.Score);
            }
            return result;
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    /// <summary>Probabilities that sum to 1 (one-versus-all calibrated scores do not on their own).</summary>
    private static float[] Normalize(float[] scores)
    {
        var copy = new float[scores.Length];
        var sum = 0f;
        for (var i = 0; i < scores.Length; i++) sum += copy[i] = float.IsFinite(scores[i]) ? Math.Max(0, scores[i]) : 0;
        if (sum <= 0) Array.Fill(copy, 1f / copy.Length);
        else for (var i = 0; i < copy.Length; i++) copy[i] /= sum;
        return copy;
    }

    private static IEstimator<ITransformer> Normalized(MLContext ml, bool normalize) =>
        normalize
            ? ml.Transforms.NormalizeMeanVariance(nameof(TrainRow.Features), fixZero: false)
            : ml.Transforms.CopyColumns(nameof(TrainRow.Features), nameof(TrainRow.Features));

    /// <summary>The same zip with every entry's timestamp fixed: ML.NET stamps entries with the time
    /// of saving, which would make identical models differ.</summary>
    internal static byte[] CanonicalZip(byte[] zip)
    {
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                var copy = target.CreateEntry(entry.FullName, CompressionLevel.Optimal);
                copy.LastWriteTime = ZipTime;
                using var from = entry.Open();
                using var to = copy.Open();
                from.CopyTo(to);
            }
        }
        return output.ToArray();
    }

    private sealed class TrainRow
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
        public float Weight { get; set; }
    }

    private sealed class ScoreInput
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class ScoreOutput
    {
        public float[] Score { get; set; } = [];
    }
}
