using System.Globalization;
using Skillmaker.Common;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Training;

/// <summary>Skill packages in the workspace: <c>.skillmaker/skills/NAME/VERSION/</c>, immutable once
/// written. A version number is reserved first (an exclusive-create marker file, so concurrent
/// trainers of one skill get different numbers), the package is written into a temporary folder, and
/// the folder is renamed into place whole: a reader sees a complete package or none.</summary>
public sealed class SkillStore(string root)
{
    public string Root { get; } = root;

    public static SkillStore For(Workspaces.Workspace workspace) => new(Path.Combine(workspace.StateDirectory, "skills"));

    public IReadOnlyList<string> Names() =>
        Directory.Exists(Root)
            ? [.. Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(n => Versions(n).Count > 0).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Complete versions of a skill, ascending.</summary>
    public IReadOnlyList<int> Versions(string name)
    {
        var folder = Path.Combine(Root, name);
        if (!Directory.Exists(folder)) return [];
        return [.. Directory.EnumerateDirectories(folder).Select(Path.GetFileName)
            .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Where(v => v > 0 && File.Exists(Path.Combine(folder, v.ToString(CultureInfo.InvariantCulture), SkillPackageInfo.FileName))).Order()];
    }

    public string PathOf(SkillRef skill) => Path.Combine(Root, skill.Name, skill.Version.ToString(CultureInfo.InvariantCulture));

    /// <summary>The package's folder; the error names the known skills or versions.</summary>
    public string Find(SkillRef skill)
    {
        var versions = Versions(skill.Name);
        if (versions.Count == 0)
        {
            var names = Names();
            throw new SkillmakerException($"Unknown skill '{skill.Name}' in {Root}; known: {(names.Count == 0 ? "(none; train one with `skillmaker train SKILL.json`)" : string.Join(", ", names))}.");
        }
        if (!versions.Contains(skill.Version))
            throw new SkillmakerException($"Skill '{skill.Name}' has no version {skill.Version}; its versions: {string.Join(", ", versions)}.");
        return PathOf(skill);
    }

    public SkillPackageInfo ReadInfo(SkillRef skill) => SkillPackage.ReadInfo(Find(skill));

    public SkillPackage Load(SkillRef skill, string? backbonePath = null) => SkillPackage.Load(Find(skill), backbonePath);

    /// <summary>Reserves the next version of <paramref name="name"/>. Gaps are harmless: a crashed
    /// trainer's reservation only skips its number.</summary>
    public Reservation Reserve(string name)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        var taken = Versions(name).DefaultIfEmpty(0).Max();
        var reserved = Directory.EnumerateFiles(folder, ".v*.reserved").Select(f => Path.GetFileName(f)[2..^".reserved".Length])
            .Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max();
        for (var version = Math.Max(taken, reserved) + 1; ; version++)
        {
            if (Directory.Exists(Path.Combine(folder, version.ToString(CultureInfo.InvariantCulture)))) continue;
            var marker = Path.Combine(folder, $".v{version.ToString(CultureInfo.InvariantCulture)}.reserved");
            try
            {
                using (new FileStream(marker, FileMode.CreateNew, FileAccess.Write)) { }
            }
            catch (IOException) when (File.Exists(marker))
            {
                continue;
            }
            var temp = Path.Combine(folder, $".tmp-{version.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(temp);
            return new Reservation(this, name, version, temp, marker);
        }
    }

    /// <summary>A reserved version and the temporary folder its files go into.</summary>
    public sealed class Reservation(SkillStore store, string name, int version, string temporaryDirectory, string marker) : IDisposable
    {
        private bool _committed;

        public string Name { get; } = name;
        public int Version { get; } = version;
        public string TemporaryDirectory { get; } = temporaryDirectory;

        /// <summary>Moves the finished package into place; returns its final folder.</summary>
        public string Commit()
        {
            var target = store.PathOf(new SkillRef(Name, Version));
            Directory.Move(TemporaryDirectory, target);
            _committed = true;
            File.Delete(marker);
            return target;
        }

        public void Dispose()
        {
            if (_committed) return;
            try
            {
                if (Directory.Exists(TemporaryDirectory)) Directory.Delete(TemporaryDirectory, recursive: true);
                File.Delete(marker);
            }
            catch (IOException) { }
        }
    }
}
