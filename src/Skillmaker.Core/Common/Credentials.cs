using System.Text.RegularExpressions;

namespace Skillmaker.Common;

/// <summary>Secrets (PGPASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) come from the environment or
/// from a credentials file, never from the workspace config, the catalog or a job. The file has one
/// <c>NAME=VALUE</c> a line (the environment variables' names, <c>#</c> starts a comment) and must be
/// readable by its owner only (0600). Looked for, in order: <c>$SKILLMAKER_CREDENTIALS</c>, the
/// workspace's <c>.skillmaker/credentials</c>, <c>~/.skillmaker/credentials</c>. The environment wins.</summary>
public static partial class Credentials
{
    public const string FileVariable = "SKILLMAKER_CREDENTIALS";
    public const string FileName = "credentials";

    /// <summary>The names a credentials file may hold.</summary>
    public static readonly IReadOnlyList<string> Names = ["PGPASSWORD", "PGUSER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

    /// <summary><paramref name="environment"/>, with the secrets it lacks taken from the first credentials
    /// file found (see the class). <paramref name="workspaceStart"/>: a folder in the workspace, searched upward
    /// for <c>.skillmaker/credentials</c>; null for none.</summary>
    public static Func<string, string?> Over(Func<string, string?> environment, string? workspaceStart)
    {
        var file = new Lazy<IReadOnlyDictionary<string, string>>(() => Find(environment, workspaceStart) is { } path ? Read(path) : new Dictionary<string, string>());
        return name =>
        {
            var value = environment(name);
            if (!string.IsNullOrEmpty(value) || !Names.Contains(name)) return value;
            return file.Value.TryGetValue(name, out var secret) ? secret : value;
        };
    }

    /// <summary>The credentials file that applies, or null when there is none.</summary>
    public static string? Find(Func<string, string?> environment, string? workspaceStart)
    {
        if (environment(FileVariable) is { Length: > 0 } given)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new SkillmakerException($"{FileVariable} names {given}, which does not exist; expected a file of NAME=VALUE lines (PGPASSWORD=…), mode 0600.");
        for (var dir = workspaceStart is null ? null : new DirectoryInfo(Path.GetFullPath(workspaceStart)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".skillmaker", FileName);
            if (File.Exists(candidate)) return candidate;
            if (Directory.Exists(Path.Combine(dir.FullName, ".skillmaker"))) break;
        }
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var user = home.Length > 0 ? Path.Combine(home, ".skillmaker", FileName) : null;
        return user is not null && File.Exists(user) ? user : null;
    }

    /// <summary>Reads a credentials file; refuses one that others may read, and names it (never a value) on any error.</summary>
    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                throw new SkillmakerException($"Credentials file {path} may be read by others (mode {Convert.ToString((int)mode, 8)}); make it private: chmod 600 {path}.");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? line[..eq].Trim() : "";
            if (!Names.Contains(name))
                throw new SkillmakerException($"Credentials file {path}, line {number}: expected NAME=VALUE with NAME one of {string.Join(", ", Names)}.");
            values[name] = line[(eq + 1)..].Trim();
        }
        return values;
    }

    /// <summary>Writes (or updates) a credentials file with mode 0600, atomically.</summary>
    public static async Task WriteAsync(string path, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var merged = File.Exists(path) ? new Dictionary<string, string>(Read(path), StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values) merged[name] = value;
        var text = "# Skillmaker credentials: NAME=VALUE lines, readable by the owner only (chmod 600).\n" + string.Concat(merged.Select(kv => $"{kv.Key}={kv.Value}\n"));
        await AtomicFile.WriteAllTextAsync(path, text, cancellationToken);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The password in a <c>postgres://user:password@host/…</c> location, or null.</summary>
    public static string? PasswordIn(string location) =>
        UrlPassword().Match(location) is { Success: true } m ? Uri.UnescapeDataString(m.Groups[2].Value) : null;

    /// <summary>The location without its password: <c>postgres://user@host/…</c>.</summary>
    public static string WithoutPassword(string location) => UrlPassword().Replace(location, "$1@");

    [GeneratedRegex(@"^([a-z][a-z0-9+.-]*://[^:/@]*):([^@/]*)@")]
    private static partial Regex UrlPassword();
}
