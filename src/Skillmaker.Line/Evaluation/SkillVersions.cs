using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Registry;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Evaluation;

/// <summary>One skill with its versions (ascending) and where its aliases point.</summary>
public sealed record SkillOverview(string Name, IReadOnlyList<VersionOverview> Versions, IReadOnlyDictionary<string, int> Aliases);

/// <summary>A version as listed: its package facts, latest status and headline metrics.</summary>
public sealed record VersionOverview(SkillPackageInfo Info, VersionStatus? Status);

/// <summary>Everything a version page shows: package, evaluation (the latest recorded on its manifest, else the
/// package's), the gate's latest decision, its status and report.</summary>
public sealed record VersionDetails(SkillPackageInfo Info, EvaluationSummary? Evaluation, GateDecision? Gate, VersionStatus? Status,
    IReadOnlyDictionary<string, int> Aliases, string? ReportPath);

/// <summary>One class of two versions side by side.</summary>
public sealed record VersionClassDelta(string Class, ClassMetrics? A, ClassMetrics? B)
{
    public double? F1Delta => A is not null && B is not null ? B.F1 - A.F1 : null;
}

/// <summary>A test image whose answer differs between two versions (null: that version answered right).</summary>
public sealed record ChangedAnswer(string ImageId, string TrueClass, string? AnswerA, string? AnswerB);

/// <summary>Two evaluations side by side. <see cref="Changed"/> is known only when both ran on one manifest.</summary>
public sealed record VersionComparison(VersionDetails A, VersionDetails B, IReadOnlyList<VersionClassDelta> Classes, IReadOnlyList<ChangedAnswer>? Changed);

/// <summary>The read side of the skills dashboard: lists skills and versions and compares evaluations.
/// Reads packages (skill.json, evaluation.json), the registry and the gate records; loads no model.</summary>
public sealed class SkillVersions(TrainingEnvironment environment)
{
    private readonly TrainingEnvironment _env = environment;

    public async Task<IReadOnlyList<SkillOverview>> ListAsync(CancellationToken cancellationToken)
    {
        var result = new List<SkillOverview>();
        foreach (var name in await _env.Skills.NamesAsync(cancellationToken))
        {
            var versions = new List<VersionOverview>();
            foreach (var v in await _env.Skills.VersionsAsync(name, cancellationToken))
            {
                var info = await _env.Skills.ReadInfoAsync(new SkillRef(name, v), cancellationToken);
                versions.Add(new VersionOverview(info, await _env.Registry.GetStatusAsync(name, v, cancellationToken)));
            }
            result.Add(new SkillOverview(name, versions, await _env.Registry.GetAliasesAsync(name, cancellationToken)));
        }
        return result;
    }

    /// <summary>Throws naming the known skills or versions when <paramref name="skill"/> does not exist.</summary>
    public async Task<VersionDetails> GetAsync(SkillRef skill, CancellationToken cancellationToken)
    {
        var folder = await _env.Skills.FindAsync(skill, cancellationToken);
        var info = SkillPackage.ReadInfo(folder);
        var evaluation = await _env.Registry.GetEvaluationAsync(skill.Name, skill.Version, info.ManifestId, null, cancellationToken)
                         ?? SkillPackage.ReadEvaluation(folder);
        var report = Path.Combine(folder, SkillPackageInfo.ReportFileName);
        return new VersionDetails(info, evaluation, await _env.Gates.LatestAsync(skill, cancellationToken), await _env.Registry.GetStatusAsync(skill.Name, skill.Version, cancellationToken),
            await _env.Registry.GetAliasesAsync(skill.Name, cancellationToken), File.Exists(report) ? report : null);
    }

    /// <summary>The test images of one confusion-matrix cell: true class <paramref name="trueClass"/> answered as
    /// <paramref name="predicted"/>. Off the diagonal they are the failures; on it, the class's test items
    /// of the evaluated <paramref name="manifest"/> that are not failures.</summary>
    public static IReadOnlyList<string> CellImages(EvaluationSummary evaluation, int trueClass, int predicted, DatasetManifest manifest)
    {
        if (trueClass < 0 || trueClass >= evaluation.Classes.Count || predicted < 0 || predicted >= evaluation.Classes.Count)
            throw new InvalidSettingException(null, "cell", $"is outside the {evaluation.Classes.Count}×{evaluation.Classes.Count} confusion matrix");
        var t = evaluation.Classes[trueClass];
        var p = evaluation.Classes[predicted];
        if (trueClass != predicted)
            return [.. evaluation.Failures.Where(f => f.TrueClass == t && f.PredictedClass == p).Select(f => f.ImageId)];
        var failed = evaluation.Failures.Select(f => f.ImageId).ToHashSet(StringComparer.Ordinal);
        return [.. manifest.Items.Where(i => i.Split == Split.Test && i.Class == t && !failed.Contains(i.ImageId)).Select(i => i.ImageId)];
    }

    public static VersionComparison Compare(VersionDetails a, VersionDetails b)
    {
        var ea = a.Evaluation;
        var eb = b.Evaluation;
        var classes = (ea?.Classes ?? []).Concat(eb?.Classes ?? []).Distinct(StringComparer.Ordinal).ToList();
        var deltas = classes.Select(c => new VersionClassDelta(c, ea?.PerClass.FirstOrDefault(m => m.Class == c), eb?.PerClass.FirstOrDefault(m => m.Class == c))).ToList();
        IReadOnlyList<ChangedAnswer>? changed = null;
        if (ea is not null && eb is not null && ea.ManifestId == eb.ManifestId)
        {
            var fa = ea.Failures.ToDictionary(f => f.ImageId, StringComparer.Ordinal);
            var fb = eb.Failures.ToDictionary(f => f.ImageId, StringComparer.Ordinal);
            changed = [.. fa.Keys.Union(fb.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(id => (fa.GetValueOrDefault(id), fb.GetValueOrDefault(id), id))
                .Where(x => x.Item1?.PredictedClass != x.Item2?.PredictedClass)
                .Select(x => new ChangedAnswer(x.id, (x.Item1 ?? x.Item2)!.TrueClass, x.Item1?.PredictedClass, x.Item2?.PredictedClass))];
        }
        return new VersionComparison(a, b, deltas, changed);
    }
}
