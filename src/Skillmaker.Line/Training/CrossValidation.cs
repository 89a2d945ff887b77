using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Skills;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Training;

/// <summary>k-fold cross-validation of a head over the training items' embeddings. Folds are made of whole
/// groups (a set and its near-duplicates never straddle two folds), assigned in a seeded order to the
/// fold with the fewest items. Each fold's head trains on the other folds' rows (with their augmented
/// copies) and scores the fold's items as they are; every item is scored once.</summary>
public static class CrossValidation
{
    /// <param name="rows">Training rows as <see cref="TrainingService"/> lays them out: per item, the
    /// original then its <paramref name="copies"/> augmented copies.</param>
    public static (List<Prediction> Predictions, List<double> FoldAccuracies) Run(HeadSpec head, IReadOnlyList<float[]> rows, IReadOnlyList<int> rowLabels,
        IReadOnlyList<ManifestItem> train, int copies, int classes, int folds, long seed)
    {
        var perItem = copies + 1;
        if (rows.Count != train.Count * perItem) throw new ArgumentException($"{rows.Count} rows for {train.Count} items with {copies} copies each.", nameof(rows));
        var foldOf = Assign(train, folds, seed);
        var predictions = new List<Prediction>(train.Count);
        var accuracies = new List<double>(folds);
        for (var f = 0; f < folds; f++)
        {
            var trainRows = new List<float[]>();
            var trainLabels = new List<int>();
            var trainGroups = new List<int>();
            var held = new List<int>();
            for (var i = 0; i < train.Count; i++)
            {
                if (foldOf[i] == f) { held.Add(i); continue; }
                for (var r = 0; r < perItem; r++) { trainRows.Add(rows[i * perItem + r]); trainLabels.Add(rowLabels[i * perItem + r]); trainGroups.Add(i); }
            }
            var trained = HeadFactory.Train(head, new HeadTrainingData(trainRows, trainLabels, classes, Groups: trainGroups), unchecked((int)seed + f) & int.MaxValue);
            var probabilities = trained.Head.Predict([.. held.Select(i => rows[i * perItem])]);
            var correct = 0;
            for (var h = 0; h < held.Count; h++)
            {
                var p = new Prediction(train[held[h]].ImageId, rowLabels[held[h] * perItem], probabilities[h], 0);
                if (p.Predicted == p.TrueClass) correct++;
                predictions.Add(p);
            }
            accuracies.Add(held.Count == 0 ? 0 : correct / (double)held.Count);
        }
        return (predictions, accuracies);
    }

    /// <summary>The fold of each item (by position).</summary>
    public static int[] Assign(IReadOnlyList<ManifestItem> train, int folds, long seed)
    {
        var groups = train.Select((t, i) => (t.Group, i)).GroupBy(x => x.Group, x => x.i, StringComparer.Ordinal)
            .OrderBy(g => SplitAssigner.Hash(seed, g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (groups.Count < folds)
            throw new SkillmakerException($"evaluation.folds is {folds}, but the training items form only {groups.Count} group(s) (sets and near-duplicates stay together); use at most {groups.Count} folds or add photos.");
        var sizes = new int[folds];
        var foldOf = new int[train.Count];
        foreach (var g in groups.OrderByDescending(g => g.Count()))
        {
            var f = Array.IndexOf(sizes, sizes.Min());
            foreach (var i in g) foldOf[i] = f;
            sizes[f] += g.Count();
        }
        return foldOf;
    }
}
