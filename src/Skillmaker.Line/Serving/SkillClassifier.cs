using SkiaSharp;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Serving;

/// <summary>One loaded, immutable skill version that classifies a vehicle crop. Thread-safe.</summary>
public interface ISkillClassifier : IDisposable
{
    string Skill { get; }
    int Version { get; }
    /// <summary>The code commit that trained this version.</summary>
    string CodeVersion { get; }
    /// <summary>The skill's own abstain threshold and option count (its config's <c>serving</c> section).</summary>
    float AbstainBelow { get; }
    int TopK { get; }
    /// <summary>Every label with its probability, best first, and the out-of-distribution score.</summary>
    SkillAnswer Classify(SKBitmap crop);
}

/// <summary>One skill's answer on a crop: every label with its probability (best first) and the
/// out-of-distribution score with the package's threshold (both null when the package has none).</summary>
public sealed record SkillAnswer(IReadOnlyList<LabelProbability> Options, float? Ood, float? OodThreshold)
{
    /// <summary>True when the crop lies further from the training data than the threshold.</summary>
    public bool OutOfDistribution => Ood > OodThreshold;
}

/// <summary>Loads a skill version. Throws a clear <see cref="Common.SkillmakerException"/> naming the
/// missing version or file.</summary>
public interface ISkillLoader
{
    Task<ISkillClassifier> LoadAsync(string skill, int version, CancellationToken cancellationToken);
}

/// <summary>Skill versions from package folders (see <see cref="SkillPackage"/>), located by the caller
/// (e.g. the workspace's skill store).</summary>
/// <param name="locate">The package folder of a version; it may fetch it first (a shared skill store).</param>
/// <param name="load">When given, the package comes from here whole (e.g. the skill store, which fetches a
/// backbone that is not on this machine from the blob store) instead of from the folder <paramref name="locate"/> names.</param>
public sealed class PackageSkillLoader(Func<string, int, CancellationToken, Task<string>> locate, PredictorOptions? options = null,
    Func<string, int, CancellationToken, Task<SkillPackage>>? load = null) : ISkillLoader
{
    public async Task<ISkillClassifier> LoadAsync(string skill, int version, CancellationToken cancellationToken)
    {
        var predictor = load is null ? SkillPredictor.Open(await locate(skill, version, cancellationToken), options)
            : SkillPredictor.Create(await load(skill, version, cancellationToken), options);
        if (predictor.Package.Name != skill || predictor.Package.Version != version)
        {
            predictor.Dispose();
            throw new Common.SkillmakerException($"The package found for {skill}@{version} says it is {predictor.Package.Name}@{predictor.Package.Version}.");
        }
        return new PackageClassifier(predictor);
    }

    private sealed class PackageClassifier(SkillPredictor predictor) : ISkillClassifier
    {
        public string Skill => predictor.Package.Name;
        public int Version => predictor.Package.Version;
        public string CodeVersion => predictor.Package.Info.CodeVersion;
        public float AbstainBelow => (float)predictor.Package.Info.Serving.AbstainBelow;
        public int TopK => predictor.Package.Info.Serving.TopK;
        public SkillAnswer Classify(SKBitmap crop)
        {
            var scores = predictor.Score(crop);
            return new SkillAnswer(predictor.Top(scores.Probabilities, predictor.Package.Labels.Count), scores.Ood, scores.OodThreshold);
        }
        public void Dispose() => predictor.Dispose();
    }
}
