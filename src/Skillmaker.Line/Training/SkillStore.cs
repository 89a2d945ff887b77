using System.Globalization;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Training;

/// <summary>Where packages go besides this machine: the catalog's skill index and the blob store; backbones
/// a package needs that are not on this machine are fetched into <paramref name="CacheDirectory"/>.</summary>
public sealed record SharedSkills(ISkillIndex Index, IBlobStore Blobs, string? CacheDirectory = null);

/// <summary>Skill packages: <c>.skillmaker/skills/NAME/VERSION/</c>, immutable once written. A version
/// number is reserved first, the package is written into a temporary folder, and the folder is renamed
/// into place whole: a reader sees a complete package or none.
/// <para>On one machine numbers are reserved with exclusive-create marker files. With
/// <see cref="SharedSkills"/> (a PostgreSQL catalog) they are reserved in the skill index, and a
/// committed package is published: its files go to the blob store and their ids to the index. Any machine
/// then lists it and, when it first needs it, fetches it into its own folder (every blob verified), so a
/// version trained on a worker is promoted and served elsewhere.</para></summary>
public sealed partial class SkillStore(string root, SharedSkills? shared = null, TimeProvider? time = null, ILogger? logger = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public string Root { get; } = root;

    public SharedSkills? Shared { get; } = shared;

    public static SkillStore For(Workspaces.Workspace workspace, SharedSkills? shared = null, TimeProvider? time = null, ILogger? logger = null) =>
        new(Path.Combine(workspace.StateDirectory, "skills"), shared, time, logger);

    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken)
    {
        var names = new SortedSet<string>(LocalNames(), StringComparer.Ordinal);
        if (Shared is { } s)
            foreach (var record in await s.Index.ListPublishedAsync(null, cancellationToken)) names.Add(record.Skill);
        return [.. names];
    }

    /// <summary>Complete versions of a skill, ascending: here, and published when shared.</summary>
    public async Task<IReadOnlyList<int>> VersionsAsync(string name, CancellationToken cancellationToken)
    {
        var versions = new SortedSet<int>(LocalVersions(name));
        if (Shared is { } s)
            foreach (var record in await s.Index.ListPublishedAsync(name, cancellationToken)) versions.Add(record.Version);
        return [.. versions];
    }

    public string PathOf(SkillRef skill) => Path.Combine(Root, skill.Name, skill.Version.ToString(CultureInfo.InvariantCulture));

    /// <summary>The package's folder on this machine, fetched from the blob store the first time when it
    /// was published elsewhere; the error names the known skills or versions.</summary>
    public async Task<string> FindAsync(SkillRef skill, CancellationToken cancellationToken)
    {
        if (IsComplete(PathOf(skill))) return PathOf(skill);
        if (Shared is { } s && await s.Index.GetAsync(skill.Name, skill.Version, cancellationToken) is { Published: true } record)
            return await FetchAsync(s, record, cancellationToken);
        var versions = await VersionsAsync(skill.Name, cancellationToken);
        if (versions.Count == 0)
        {
            var names = await NamesAsync(cancellationToken);
            throw new SkillmakerException($"Unknown skill '{skill.Name}' in {Where}; known: {(names.Count == 0 ? "(none; train one with `skillmaker train SKILL.json`)" : string.Join(", ", names))}.");
        }
        throw new SkillmakerException($"Skill '{skill.Name}' has no version {skill.Version}; its versions: {string.Join(", ", versions)}.");
    }

    public async Task<SkillPackageInfo> ReadInfoAsync(SkillRef skill, CancellationToken cancellationToken) =>
        SkillPackage.ReadInfo(await FindAsync(skill, cancellationToken));

    /// <summary>The package, checked. Shared: when its backbone is neither where it was trained nor beside
    /// skill.json (a package trained on a worker), it comes from the blob store by its SHA-256 into the
    /// cache folder, hash verified.</summary>
    public async Task<SkillPackage> LoadAsync(SkillRef skill, string? backbonePath, CancellationToken cancellationToken)
    {
        var directory = await FindAsync(skill, cancellationToken);
        if (backbonePath is null && Shared is { } s)
        {
            var info = SkillPackage.ReadInfo(directory);
            if (!File.Exists(info.Backbone.Path) && !File.Exists(Path.Combine(directory, Path.GetFileName(info.Backbone.Path))))
            {
                try
                {
                    backbonePath = await new Jobs.BlobFileCache(s.Blobs, s.CacheDirectory).GetAsync(info.Backbone.Sha256, ".onnx", cancellationToken);
                }
                catch (BlobNotFoundException ex)
                {
                    throw new SkillmakerException($"The backbone of {skill} (sha256 {info.Backbone.Sha256}, trained from {info.Backbone.Path}) is in neither {directory}, " +
                        $"the blob store at {s.Blobs.Location} nor this machine's cache {new Jobs.BlobFileCache(s.Blobs, s.CacheDirectory).Directory}. Publish it again: train or stage from a machine that has the file.", ex);
                }
            }
        }
        return SkillPackage.Load(directory, backbonePath);
    }

    /// <summary>Reserves the next version of <paramref name="name"/>. Gaps are harmless: a crashed
    /// trainer's reservation only skips its number. With a shared index, <paramref name="owner"/> (a job's
    /// run and batch) gets the same number again when it asks again.</summary>
    public async Task<Reservation> ReserveAsync(string name, string? owner, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        if (Shared is { } s)
        {
            var atLeast = LocalVersions(name).DefaultIfEmpty(0).Max() + 1;
            var record = await s.Index.ReserveAsync(name, owner ?? $"{Environment.MachineName}:{Guid.NewGuid():N}", atLeast, _time.GetUtcNow(), cancellationToken);
            if (record.Published)
                throw new SkillmakerException($"{name}@{record.Version} of {record.Owner} is already published; it is not trained again.");
            // The number is held in the index; the marker here says which process writes its package, for `doctor`.
            var leaseMarker = Marker(folder, record.Version);
            await File.WriteAllTextAsync(leaseMarker, ProcessLease.Current.Serialize(), cancellationToken);
            return new Reservation(this, name, record.Version, NewTemporaryFolder(folder, record.Version), leaseMarker, record.Owner);
        }
        var taken = LocalVersions(name).DefaultIfEmpty(0).Max();
        var reserved = Directory.EnumerateFiles(folder, ".v*.reserved").Select(f => Path.GetFileName(f)[2..^".reserved".Length])
            .Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max();
        for (var version = Math.Max(taken, reserved) + 1; ; version++)
        {
            if (Directory.Exists(Path.Combine(folder, version.ToString(CultureInfo.InvariantCulture)))) continue;
            var marker = Marker(folder, version);
            try
            {
                // The marker holds its owner's lease: a crashed trainer's reservation is told from a live one.
                using var stream = new FileStream(marker, FileMode.CreateNew, FileAccess.Write);
                stream.Write(System.Text.Encoding.UTF8.GetBytes(ProcessLease.Current.Serialize()));
            }
            catch (IOException) when (File.Exists(marker))
            {
                continue;
            }
            return new Reservation(this, name, version, NewTemporaryFolder(folder, version), marker, owner: null);
        }
    }

    /// <summary>A reserved version and the temporary folder its files go into. Disposed without a commit
    /// (training failed), it gives its number back: the marker file here, the index row when shared, so a
    /// failed run does not use up a version.</summary>
    public sealed class Reservation : IDisposable, IAsyncDisposable
    {
        private readonly SkillStore _store;
        private readonly string? _marker;
        private bool _committed;

        internal Reservation(SkillStore store, string name, int version, string temporaryDirectory, string? marker, string? owner)
        {
            _store = store;
            _marker = marker;
            Name = name;
            Version = version;
            TemporaryDirectory = temporaryDirectory;
            Owner = owner;
        }

        public string Name { get; }
        public int Version { get; }
        public string TemporaryDirectory { get; }
        /// <summary>Who holds the number in the shared index; null on one machine.</summary>
        public string? Owner { get; }

        /// <summary>Publishes the finished package when shared (its files and the backbone at
        /// <paramref name="backbonePath"/>, unless the blob store has it), then moves it into place; returns
        /// its folder here. Publishing comes first, so a package in a folder is always the published one.</summary>
        public async Task<string> CommitAsync(string backbonePath, CancellationToken cancellationToken)
        {
            var target = _store.PathOf(new SkillRef(Name, Version));
            if (_store.Shared is { } shared && Owner is not null)
            {
                await PublishAsync(shared, TemporaryDirectory, backbonePath, cancellationToken);
                // A folder already there was fetched from what was just published: the same files.
                if (IsComplete(target)) return target;
            }
            Directory.Move(TemporaryDirectory, target);
            _committed = true;
            if (_marker is not null) File.Delete(_marker);
            return target;
        }

        private async Task PublishAsync(SharedSkills shared, string folder, string backbonePath, CancellationToken cancellationToken)
        {
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
                var id = Sha256Hex.Of(bytes);
                await shared.Blobs.PutAsync(id, bytes, cancellationToken);
                files[Path.GetFileName(file)] = id;
            }
            var info = SkillPackage.ReadInfo(folder);
            if (!await shared.Blobs.ExistsAsync(info.Backbone.Sha256, cancellationToken))
                await Jobs.BlobFileCache.StageAsync(shared.Blobs, backbonePath, info.Backbone.Sha256, "Backbone", cancellationToken);
            await shared.Index.PublishAsync(Name, Version, Owner!, files, _store._time.GetUtcNow(), cancellationToken);
        }

        /// <summary>Cleans up and, when shared and not committed, releases the number in the index (and says so).</summary>
        public async ValueTask DisposeAsync()
        {
            if (_committed) return;
            Dispose();
            if (_store.Shared is not { } shared || Owner is null) return;
            try
            {
                if (await shared.Index.ReleaseAsync(Name, Version, Owner, CancellationToken.None))
                    LogReleased(_store._logger, Name, Version, Owner);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The failure that got us here matters more; a number left reserved is only a gap.
                LogNotReleased(_store._logger, Name, Version, ex.Message);
            }
        }

        public void Dispose()
        {
            if (_committed) return;
            try
            {
                if (Directory.Exists(TemporaryDirectory)) Directory.Delete(TemporaryDirectory, recursive: true);
                if (_marker is not null) File.Delete(_marker);
            }
            catch (IOException) { }
        }
    }

    private string Where => Shared is { } s ? $"{Root} and the skill index beside the catalog (blobs in {s.Blobs.Location})" : Root;

    private IEnumerable<string> LocalNames() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.') && LocalVersions(n).Count > 0)
            : [];

    private List<int> LocalVersions(string name)
    {
        var folder = Path.Combine(Root, name);
        if (!Directory.Exists(folder)) return [];
        return [.. Directory.EnumerateDirectories(folder).Select(Path.GetFileName)
            .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Where(v => v > 0 && IsComplete(Path.Combine(folder, v.ToString(CultureInfo.InvariantCulture)))).Order()];
    }

    private static bool IsComplete(string folder) => File.Exists(Path.Combine(folder, SkillPackageInfo.FileName));

    private static string Marker(string folder, int version) => Path.Combine(folder, $".v{version.ToString(CultureInfo.InvariantCulture)}.reserved");

    private static string NewTemporaryFolder(string folder, int version)
    {
        var temp = Path.Combine(folder, $".tmp-{version.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        return temp;
    }

    /// <summary>Fetches a published package into its folder here: every file from the blob store (hash
    /// verified), plus the backbone when it is not where the package says, then one rename.</summary>
    private async Task<string> FetchAsync(SharedSkills shared, SkillVersionRecord record, CancellationToken cancellationToken)
    {
        var skill = new SkillRef(record.Skill, record.Version);
        var target = PathOf(skill);
        var folder = Path.Combine(Root, record.Skill);
        Directory.CreateDirectory(folder);
        var temp = NewTemporaryFolder(folder, record.Version);
        try
        {
            foreach (var (file, id) in record.Files)
            {
                if (file != Path.GetFileName(file) || file.StartsWith('.'))
                    throw new SkillmakerException($"Skill index: {skill} lists a file named '{file}'; expected plain file names of a package.");
                await File.WriteAllBytesAsync(Path.Combine(temp, file), await shared.Blobs.ReadAllBytesAsync(id, cancellationToken), cancellationToken);
            }
            var info = SkillPackage.ReadInfo(temp);
            if (info.Name != record.Skill || info.Version != record.Version)
                throw new SkillmakerException($"Skill index: the package published as {skill} says it is {info.Name}@{info.Version}.");
            var backbone = info.Backbone.Path;
            if (!File.Exists(backbone) || await Sha256Hex.OfFileAsync(backbone, cancellationToken) != info.Backbone.Sha256)
                await File.WriteAllBytesAsync(Path.Combine(temp, Path.GetFileName(backbone)),
                    await shared.Blobs.ReadAllBytesAsync(info.Backbone.Sha256, cancellationToken), cancellationToken);
            try
            {
                Directory.Move(temp, target);
            }
            catch (IOException) when (IsComplete(target))
            {
                // Another process here fetched it first; theirs is the same bytes.
                Directory.Delete(temp, recursive: true);
            }
            return target;
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Skill} v{Version} was not finished; its number is released in the skill index (reserved by {Owner}), so the next trainer takes it")]
    private static partial void LogReleased(ILogger logger, string skill, int version, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Skill} v{Version} was not finished, and its number could not be released ({Error}); it stays a gap")]
    private static partial void LogNotReleased(ILogger logger, string skill, int version, string error);
}
