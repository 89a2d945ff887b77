using System.Text.Json;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Promotion;

/// <summary>One file of a published deployment, by its path under the deploy folder (forward slashes).</summary>
public sealed record DeploymentFile(string Path, string Sha256, long Size);

/// <summary>What a promotion published: the deploy folder's files for one skill version (its Dockerfile and
/// serving bundle under <c>NAME/</c>, and the compose file and CloudFormation template of every production
/// skill at the top), each in the blob store by SHA-256.</summary>
public sealed record DeploymentManifest
{
    public required string Skill { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset PublishedAt { get; init; }
    public required IReadOnlyList<DeploymentFile> Files { get; init; }
}

/// <summary>A deployment written into a folder by <see cref="DeploymentBundles.FetchAsync"/>.</summary>
public sealed record FetchedDeployment(DeploymentManifest Manifest, string ManifestSha256, IReadOnlyList<string> Written)
{
    public long Bytes => Manifest.Files.Sum(f => f.Size);
}

/// <summary>What <see cref="DeploymentBundles.FetchAsync"/> wrote: the deployments, and the production skills
/// that have none published (promoted before deployments were published, or in a one-machine workspace).</summary>
public sealed record DeploymentFetch(string Directory, IReadOnlyList<FetchedDeployment> Deployments, IReadOnlyList<string> Unpublished);

/// <summary>Deployment bundles through the blob store, so the machine that promoted need not be the one that
/// builds the images: promotion publishes each file of the deploy folder it wrote for a skill by content
/// (SHA-256) and a small manifest naming the skill, version and files (artefact kind <c>deployment</c>,
/// name the skill); any machine writes the latest published bundle of a skill into a folder, every file
/// verified against its SHA-256.</summary>
public sealed class DeploymentBundles(Artefacts artefacts)
{
    public const string Kind = "deployment";
    public const string ManifestFileName = "deployment.json";

    /// <summary>Publishes <paramref name="paths"/> (files or folders, all under <paramref name="deployDirectory"/>)
    /// as the deployment of <paramref name="skill"/>; returns the manifest's record.</summary>
    public async Task<(ArtefactRecord Record, DeploymentManifest Manifest)> PublishAsync(SkillRef skill, string deployDirectory, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(deployDirectory);
        var files = new List<DeploymentFile>();
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p])
                     .Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                throw new SkillmakerException($"Cannot publish the deployment of {skill}: {file} is not under the deploy folder {root}.");
            var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
            var sha = Sha256Hex.Of(bytes);
            await artefacts.PutAsync(sha, bytes, cancellationToken);
            files.Add(new DeploymentFile(relative.Replace(Path.DirectorySeparatorChar, '/'), sha, bytes.Length));
        }
        var manifest = new DeploymentManifest { Skill = skill.Name, Version = skill.Version, PublishedAt = artefacts.Now, Files = files };
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, SkillJson.Options);
        return (await artefacts.PublishAsync(Kind, skill.Name, ManifestFileName, json, cancellationToken), manifest);
    }

    /// <summary>The latest published deployment of <paramref name="skill"/>, if any.</summary>
    public async Task<(ArtefactRecord Record, DeploymentManifest Manifest)?> LatestAsync(string skill, CancellationToken cancellationToken)
    {
        if (await artefacts.Index.LatestAsync(Kind, skill, cancellationToken) is not { } record) return null;
        var manifest = JsonSerializer.Deserialize<DeploymentManifest>(await artefacts.ReadAsync(record, cancellationToken), SkillJson.Options)
            ?? throw new SkillmakerException($"The deployment manifest of {skill} (sha256 {record.Sha256}) is empty.");
        foreach (var file in manifest.Files) CheckPath(skill, record, file.Path);
        return (record, manifest);
    }

    /// <summary>Writes the latest published deployment of each skill named in <paramref name="skills"/> into
    /// <paramref name="directory"/>: <c>NAME/</c> replaced whole (staged beside, then swapped in), the compose
    /// file and template of the newest of them written atomically. Every file is checked against its SHA-256
    /// before anything moves into place. With <paramref name="required"/> a skill without a published
    /// deployment is an error; otherwise it is listed in <see cref="DeploymentFetch.Unpublished"/>.</summary>
    public async Task<DeploymentFetch> FetchAsync(IReadOnlyList<string> skills, string directory, bool required, CancellationToken cancellationToken)
    {
        var found = new List<(ArtefactRecord Record, DeploymentManifest Manifest)>();
        var unpublished = new List<string>();
        foreach (var skill in skills)
        {
            if (await LatestAsync(skill, cancellationToken) is { } latest) found.Add(latest);
            else if (required)
                throw new SkillmakerException($"No deployment of {skill} was published to the blob store: promote a version of it in this server-mode workspace (`skillmaker promote {skill}@VERSION`) and its deployment bundle is published.");
            else unpublished.Add(skill);
        }
        Directory.CreateDirectory(directory);
        var fetched = new List<FetchedDeployment>();
        foreach (var (record, manifest) in found)
        {
            var prefix = manifest.Skill + "/";
            var staging = Path.Combine(directory, $"{manifest.Skill}.staging-{Guid.NewGuid():N}");
            var target = Path.Combine(directory, manifest.Skill);
            var written = new List<string>();
            try
            {
                foreach (var file in manifest.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    var path = Path.Combine(staging, file.Path[prefix.Length..]);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await AtomicFile.WriteAllBytesAsync(path, await ReadVerifiedAsync(manifest, file, cancellationToken), cancellationToken);
                    written.Add(Path.Combine(target, file.Path[prefix.Length..]));
                }
                // A manifest with nothing under NAME/ leaves the folder as it is.
                if (Directory.Exists(staging))
                {
                    var old = $"{target}.old-{Guid.NewGuid():N}";
                    if (Directory.Exists(target)) Directory.Move(target, old);
                    Directory.Move(staging, target);
                    if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
                }
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
            fetched.Add(new FetchedDeployment(manifest, record.Sha256, written));
        }
        // The compose file and template list every production skill: the newest publication's are current.
        if (found.OrderBy(f => f.Manifest.PublishedAt).LastOrDefault() is { Manifest: { } newest })
        {
            var index = fetched.FindIndex(f => ReferenceEquals(f.Manifest, newest));
            var written = new List<string>(fetched[index].Written);
            foreach (var file in newest.Files.Where(f => !f.Path.Contains('/', StringComparison.Ordinal)))
            {
                var path = Path.Combine(directory, file.Path);
                await AtomicFile.WriteAllBytesAsync(path, await ReadVerifiedAsync(newest, file, cancellationToken), cancellationToken);
                written.Add(path);
            }
            fetched[index] = fetched[index] with { Written = written };
        }
        return new DeploymentFetch(directory, fetched, unpublished);
    }

    private async Task<byte[]> ReadVerifiedAsync(DeploymentManifest manifest, DeploymentFile file, CancellationToken cancellationToken)
    {
        var record = new ArtefactRecord { Kind = Kind, Name = $"{manifest.Skill}@{manifest.Version}", Sha256 = file.Sha256, Size = file.Size, OriginalName = file.Path, PublishedAt = manifest.PublishedAt };
        var bytes = await artefacts.ReadAsync(record, cancellationToken);
        var sha = Sha256Hex.Of(bytes);
        if (sha != file.Sha256 || bytes.LongLength != file.Size)
            throw new SkillmakerException($"The deployment file {file.Path} of {manifest.Skill} v{manifest.Version} read from the blob store has sha256 {sha} ({bytes.LongLength} bytes); " +
                $"its manifest expects sha256 {file.Sha256} ({file.Size} bytes). Nothing of {manifest.Skill} was replaced; promote the version again to republish it.");
        return bytes;
    }

    /// <summary>A manifest's paths stay inside the folder they are written to.</summary>
    private static void CheckPath(string skill, ArtefactRecord record, string path)
    {
        var parts = path.Split('/');
        if (path.Length == 0 || Path.IsPathRooted(path) || path.Contains('\\', StringComparison.Ordinal) || parts.Any(p => p is "" or "." or ".."))
            throw new SkillmakerException($"The deployment manifest of {skill} (sha256 {record.Sha256}) names the file '{path}'; expected a relative path with forward slashes inside the deploy folder.");
        if (parts.Length > 1 && parts[0] != skill)
            throw new SkillmakerException($"The deployment manifest of {skill} (sha256 {record.Sha256}) names the file '{path}' of another skill's folder; expected files under {skill}/ or at the top.");
    }
}
