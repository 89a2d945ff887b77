using SkiaSharp;

namespace Skillmaker.Server.Inference;

public sealed record LabelProbability(string Label, float Probability);

/// <summary>One loaded, immutable skill version that classifies a vehicle crop. Thread-safe.</summary>
public interface ISkillClassifier : IDisposable
{
    string Skill { get; }
    int Version { get; }
    /// <summary>The code commit that trained this version.</summary>
    string CodeVersion { get; }
    /// <summary>Every label with its probability, best first.</summary>
    IReadOnlyList<LabelProbability> Classify(SKBitmap crop);
}

/// <summary>Loads a skill version (e.g. from the workspace's skill packages). Throws a clear
/// <see cref="Common.SkillmakerException"/> naming the missing file or version.</summary>
public interface ISkillLoader
{
    ISkillClassifier Load(string skill, int version);
}
