using System.Security.Cryptography;
using System.Text.Json;
using Skillmaker.Common;

namespace Skillmaker.Workspaces;

/// <summary>A folder that holds a <c>.skillmaker/</c> directory: catalog, blobs and config.</summary>
public sealed class Workspace
{
    public const string DirectoryName = ".skillmaker";
    public const string ConfigFileName = "config.json";
    public const string EnvironmentVariable = "SKILLMAKER_WORKSPACE";

    private Workspace(string root, WorkspaceConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }
    public string StateDirectory => Path.Combine(Root, DirectoryName);
    public string ConfigPath => Path.Combine(StateDirectory, ConfigFileName);
    public WorkspaceConfig Config { get; }

    /// <summary>Resolves a path from the config: absolute as is, otherwise relative to <c>.skillmaker/</c>.</summary>
    public string ResolveStatePath(string path) => Path.GetFullPath(Path.Combine(StateDirectory, path));

    /// <summary>Creates a workspace; refuses to touch an existing one.</summary>
    public static async Task<Workspace> InitAsync(string root, long? seed, CancellationToken cancellationToken)
    {
        var workspace = Prepare(root, new WorkspaceConfig { Seed = seed ?? NewSeed() });
        await workspace.SaveAsync(cancellationToken);
        return workspace;
    }

    /// <summary>A seed drawn at random, for a new workspace.</summary>
    public static long NewSeed() => RandomNumberGenerator.GetInt32(1, int.MaxValue);

    /// <summary>A workspace about to be created at <paramref name="root"/> with <paramref name="config"/>: checked
    /// (no workspace there yet, the config valid), nothing written until <see cref="SaveAsync"/>, so a
    /// caller can first check that the servers the config names answer.</summary>
    public static Workspace Prepare(string root, WorkspaceConfig config)
    {
        root = Path.GetFullPath(root);
        var configPath = Path.Combine(root, DirectoryName, ConfigFileName);
        if (File.Exists(configPath))
            throw new SkillmakerException($"A workspace already exists at {root} ({configPath}); nothing was changed.");
        if (File.Exists(root))
            throw new SkillmakerException($"Cannot create a workspace at {root}: it is a file, expected a folder.");
        return new Workspace(root, Validated(config, configPath));
    }

    /// <summary>Writes the config of a <see cref="Prepare"/>d workspace (atomically), creating its folder.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(ConfigPath))
            throw new SkillmakerException($"A workspace already exists at {Root} ({ConfigPath}); nothing was changed.");
        Directory.CreateDirectory(StateDirectory);
        await AtomicFile.WriteAllTextAsync(ConfigPath, JsonSerializer.Serialize(Config, WorkspaceJson.Options), cancellationToken);
    }

    /// <summary>Opens the workspace at <paramref name="start"/> or the nearest parent folder that has one.</summary>
    public static async Task<Workspace> OpenAsync(string start, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(start);
        if (!Directory.Exists(full))
            throw new SkillmakerException($"Workspace folder {full} does not exist. Create one with `skillmaker init {start}`.");
        for (var dir = new DirectoryInfo(full); dir is not null; dir = dir.Parent)
        {
            var configPath = Path.Combine(dir.FullName, DirectoryName, ConfigFileName);
            if (File.Exists(configPath))
                return new Workspace(dir.FullName, await ReadConfigAsync(configPath, cancellationToken));
        }
        throw new SkillmakerException($"No Skillmaker workspace at {full} or its parents (looked for {DirectoryName}/{ConfigFileName}). Create one with `skillmaker init {start}`, or pass --workspace DIR or set {EnvironmentVariable}.");
    }

    /// <summary>A workspace known by its root and config text only, as a worker on another machine gets
    /// it with a job; nothing is read from <paramref name="root"/>.</summary>
    public static Workspace FromConfig(string root, string configJson)
    {
        WorkspaceConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<WorkspaceConfig>(configJson, WorkspaceJson.Options);
        }
        catch (JsonException ex)
        {
            throw new SkillmakerException($"Workspace config of {root} (carried by a job) is not valid: {ex.Message}", ex);
        }
        return new Workspace(root, Validated(config, $"{root} (carried by a job)"));
    }

    private static async Task<WorkspaceConfig> ReadConfigAsync(string path, CancellationToken cancellationToken)
    {
        WorkspaceConfig? config;
        try
        {
            await using var stream = File.OpenRead(path);
            config = await JsonSerializer.DeserializeAsync<WorkspaceConfig>(stream, WorkspaceJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new SkillmakerException($"Workspace config {path} is not valid: {ex.Message}" +
                (ex.Message.Contains("'seed'", StringComparison.Ordinal) ? " Every config needs \"seed\": a number that makes the workspace's randomness repeatable; `skillmaker init` writes one (init --catalog … --blobs … writes a whole server-mode config)." : ""), ex);
        }
        return Validated(config, path);
    }

    private static WorkspaceConfig Validated(WorkspaceConfig? config, string path)
    {
        if (config is null)
            throw new SkillmakerException($"Workspace config {path} is empty; expected a JSON object with at least \"seed\".");
        if (config.FormatVersion != WorkspaceConfig.CurrentFormatVersion)
            throw new SkillmakerException($"Workspace config {path} has formatVersion {config.FormatVersion}; this Skillmaker reads version {WorkspaceConfig.CurrentFormatVersion}.");
        if (config.Ingest.NearDuplicateMaxDistance is < 0 or > 64)
            throw new SkillmakerException($"Workspace config {path}: ingest.nearDuplicateMaxDistance is {config.Ingest.NearDuplicateMaxDistance}; expected 0..64 bits.");
        if (config.Ingest.MaxPixels <= 0)
            throw new SkillmakerException($"Workspace config {path}: ingest.maxPixels must be positive.");
        config.Jobs?.Validated($"Workspace config {path}, jobs section");
        return config;
    }
}
