using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Skills;

namespace Skillmaker.Vision.Skills;

/// <summary>One skill version on disk, checked: skill.json readable, head file present with the
/// recorded sha256, backbone found with the recorded sha256. Needs no workspace: a package folder is
/// self-contained except for the backbone, which is looked for at an explicit path, then at the path
/// recorded at training, then beside skill.json under its file name.</summary>
public sealed class SkillPackage
{
    private SkillPackage(string directory, SkillPackageInfo info, byte[] head, byte[]? openSet, string backbonePath)
    {
        Directory = directory;
        Info = info;
        HeadBytes = head;
        OpenSetBytes = openSet;
        BackbonePath = backbonePath;
    }

    public string Directory { get; }
    public SkillPackageInfo Info { get; }
    public byte[] HeadBytes { get; }
    /// <summary>The open-set scorer's file (sha256 checked); null when the package has none.</summary>
    public byte[]? OpenSetBytes { get; }
    /// <summary>Where the backbone was found (its sha256 matched).</summary>
    public string BackbonePath { get; }
    public string Name => Info.Name;
    public int Version => Info.Version;
    public IReadOnlyList<string> Labels => Info.Labels;

    public static SkillPackage Load(string directory, string? backbonePath = null)
    {
        directory = Path.GetFullPath(directory);
        var info = ReadInfo(directory);
        var headPath = Path.Combine(directory, info.Head.File);
        if (!File.Exists(headPath))
            throw new SkillmakerException($"Skill package {directory} is incomplete: its head file {info.Head.File} is missing.");
        var head = File.ReadAllBytes(headPath);
        if (Sha256Hex.Of(head) != info.Head.Sha256)
            throw new SkillmakerException($"Skill package {directory}: {info.Head.File} has sha256 {Sha256Hex.Of(head)}, but skill.json records {info.Head.Sha256}; the package was altered.");
        byte[]? openSet = null;
        if (info.OpenSet is { } o)
        {
            var openSetPath = Path.Combine(directory, o.File);
            if (!File.Exists(openSetPath))
                throw new SkillmakerException($"Skill package {directory} is incomplete: its open-set file {o.File} is missing.");
            openSet = File.ReadAllBytes(openSetPath);
            if (Sha256Hex.Of(openSet) != o.Sha256)
                throw new SkillmakerException($"Skill package {directory}: {o.File} has sha256 {Sha256Hex.Of(openSet)}, but skill.json records {o.Sha256}; the package was altered.");
        }
        return new SkillPackage(directory, info, head, openSet, FindBackbone(directory, info, backbonePath));
    }

    /// <summary>Reads skill.json only (no head or backbone checks), e.g. to list versions.</summary>
    public static SkillPackageInfo ReadInfo(string directory)
    {
        var path = Path.Combine(directory, SkillPackageInfo.FileName);
        if (!File.Exists(path))
            throw new SkillmakerException($"{directory} is not a skill package: it has no {SkillPackageInfo.FileName}.");
        SkillPackageInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<SkillPackageInfo>(File.ReadAllText(path), SkillJson.Options);
        }
        catch (JsonException ex)
        {
            throw new SkillmakerException($"{path} is not a valid skill.json at {SkillJson.FieldOf(ex)}: {SkillJson.Plain(ex)}", ex);
        }
        if (info is null) throw new SkillmakerException($"{path} is empty; expected a skill.json object.");
        if (info.FormatVersion != SkillPackageInfo.CurrentFormatVersion)
            throw new SkillmakerException($"{path} has formatVersion {info.FormatVersion}; this Skillmaker reads version {SkillPackageInfo.CurrentFormatVersion}.");
        return info;
    }

    /// <summary>The evaluation written with the package (on its manifest's test split), if any.</summary>
    public EvaluationSummary? ReadEvaluation() => ReadEvaluation(Directory);

    /// <summary>The evaluation in the package folder <paramref name="directory"/>, if any (no head or backbone checks).</summary>
    public static EvaluationSummary? ReadEvaluation(string directory)
    {
        var path = Path.Combine(directory, SkillPackageInfo.EvaluationFileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<EvaluationSummary>(File.ReadAllText(path), SkillJson.Options) : null;
    }

    private static string FindBackbone(string directory, SkillPackageInfo info, string? explicitPath)
    {
        var candidates = new List<string>();
        if (explicitPath is not null) candidates.Add(Path.GetFullPath(explicitPath));
        else
        {
            candidates.Add(info.Backbone.Path);
            candidates.Add(Path.Combine(directory, Path.GetFileName(info.Backbone.Path)));
        }
        var mismatches = new List<string>();
        foreach (var candidate in candidates.Where(File.Exists).Distinct())
        {
            var sha = Sha256Hex.OfFileAsync(candidate, CancellationToken.None).GetAwaiter().GetResult();
            if (sha == info.Backbone.Sha256) return candidate;
            mismatches.Add($"{candidate} has sha256 {sha}");
        }
        throw new SkillmakerException(
            $"The backbone of {info.Name} v{info.Version} (sha256 {info.Backbone.Sha256}) was not found: " +
            (mismatches.Count > 0 ? string.Join("; ", mismatches) + ". " : "") +
            $"Looked at {string.Join(", ", candidates)}. Copy the backbone the skill was trained with there, or pass its path.");
    }
}
