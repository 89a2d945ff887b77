using System.Text.Json;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Promotion;
using Skillmaker.Skills;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Promotion;

/// <summary>Deployment bundles through the blob store, on PostgreSQL and s3rver: what one machine publishes
/// from its deploy folder, another writes into an empty folder, file for file, verified.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PublishedDeploymentBundleTests(PostgresFixture postgres, S3rverFixture s3)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task FetchAsync_EmptyFolderAfterPublish_WritesEveryFileIdentical()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var line = ws.Line();
        var deploy = Path.Combine(ws.Scratch.Path, "promoter", "deploy");
        var paths = WriteDeployFolder(deploy, "make", seed: 1, ("workspace/.skillmaker/skills/make/3/head.bin", 5000), ("workspace/.skillmaker/models/detector.onnx", 70_000));

        var (record, manifest) = await line.DeploymentBundles()!.PublishAsync(new SkillRef("make", 3), deploy, paths, None);
        var target = Path.Combine(ws.Scratch.Path, "other-machine", "out");
        var fetched = await line.DeploymentBundles()!.FetchAsync(["make"], target, required: true, None);

        var expected = Files(deploy);
        Assert.Equal(expected.Keys, Files(target).Keys);
        foreach (var (relative, bytes) in expected) Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(target, relative)));
        var only = Assert.Single(fetched.Deployments);
        Assert.Equal((record.Sha256, 3, expected.Count), (only.ManifestSha256, only.Manifest.Version, only.Manifest.Files.Count));
        Assert.Equal(expected.Values.Sum(b => (long)b.Length), only.Bytes);
        Assert.All(manifest.Files, f => Assert.Equal(Sha256Hex.Of(expected[f.Path.Replace('/', Path.DirectorySeparatorChar)]), f.Sha256));
        Assert.Empty(fetched.Unpublished);
    }

    [Fact]
    public async Task FetchAsync_NewerVersionPublished_ReplacesTheSkillFolderWhole()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var bundles = ws.Line().DeploymentBundles()!;
        var first = Path.Combine(ws.Scratch.Path, "first");
        var second = Path.Combine(ws.Scratch.Path, "second");
        await bundles.PublishAsync(new SkillRef("make", 3), first, WriteDeployFolder(first, "make", seed: 2, ("workspace/old-only.bin", 100)), None);
        var target = Path.Combine(ws.Scratch.Path, "out");
        await bundles.FetchAsync(["make"], target, required: true, None);
        await bundles.PublishAsync(new SkillRef("make", 4), second, WriteDeployFolder(second, "make", seed: 3, ("workspace/new-only.bin", 200)), None);

        var fetched = await bundles.FetchAsync(["make"], target, required: true, None);

        Assert.Equal(4, Assert.Single(fetched.Deployments).Manifest.Version);
        Assert.Equal(Files(second).Keys, Files(target).Keys);
        Assert.False(File.Exists(Path.Combine(target, "make", "workspace", "old-only.bin")));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(second, DeploymentConfig.ComposeFile)), await File.ReadAllBytesAsync(Path.Combine(target, DeploymentConfig.ComposeFile)));
    }

    [Fact]
    public async Task FetchAsync_SkillNeverPublished_RequiredThrowsElseListsIt()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var bundles = ws.Line().DeploymentBundles()!;
        var target = Path.Combine(ws.Scratch.Path, "out");

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => bundles.FetchAsync(["colour"], target, required: true, None));
        var lenient = await bundles.FetchAsync(["colour"], target, required: false, None);

        Assert.Contains("No deployment of colour was published", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["colour"], lenient.Unpublished);
        Assert.Empty(lenient.Deployments);
    }

    [Fact]
    public async Task FetchAsync_ManifestPathOutsideTheFolder_RefusesNamingThePath()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var line = ws.Line();
        var content = "not a deployment"u8.ToArray();
        await line.Artefacts!.PutAsync(Sha256Hex.Of(content), content, None);
        await PublishManifestAsync(line.Artefacts!, "make", new DeploymentFile("make/../../escape.txt", Sha256Hex.Of(content), content.Length));
        var target = Path.Combine(ws.Scratch.Path, "out");

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => line.DeploymentBundles()!.FetchAsync(["make"], target, required: true, None));

        Assert.Contains("'make/../../escape.txt'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a relative path", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ws.Scratch.Path, "escape.txt")));
    }

    [Fact]
    public async Task FetchAsync_BlobDiffersFromManifest_RefusesAndKeepsTheOldFolder()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);
        var line = ws.Line();
        var bundles = line.DeploymentBundles()!;
        var source = Path.Combine(ws.Scratch.Path, "source");
        await bundles.PublishAsync(new SkillRef("make", 3), source, WriteDeployFolder(source, "make", seed: 4), None);
        var target = Path.Combine(ws.Scratch.Path, "out");
        await bundles.FetchAsync(["make"], target, required: true, None);
        var content = "a Dockerfile"u8.ToArray();
        await line.Artefacts!.PutAsync(Sha256Hex.Of(content), content, None);
        // The manifest claims a size the stored bytes do not have.
        await PublishManifestAsync(line.Artefacts!, "make", new DeploymentFile("make/Dockerfile", Sha256Hex.Of(content), content.Length + 1));

        var ex = await Assert.ThrowsAsync<SkillmakerException>(() => bundles.FetchAsync(["make"], target, required: true, None));

        Assert.Contains("make/Dockerfile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("its manifest expects", ex.Message, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, "make", "Dockerfile")), await File.ReadAllBytesAsync(Path.Combine(target, "make", "Dockerfile")));
        Assert.Empty(Directory.GetDirectories(target, "make.staging-*"));
    }

    [Fact]
    public async Task DeployFetch_NoProductionVersion_SaysToPromoteFirst()
    {
        await using var ws = await TestWorkspace.OnPostgresAsync(postgres, s3);

        var result = await CliRunner.RunAsync(ws.Root, "deploy", "fetch", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No skill has a production version", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "deploy")));
    }

    [Theory]
    [InlineData("deploy", "fetch")]
    [InlineData("report", "make@1", "--published", "--out", "r.pdf")]
    public async Task Cli_SqliteWorkspace_SaysItNeedsASharedBlobStore(params string[] args)
    {
        using var dir = new TempDir("published");
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", "--seed", "1")).ExitCode);

        var result = await CliRunner.RunAsync(dir.Path, args);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("shared blob store (a PostgreSQL catalog)", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "r.pdf")));
    }

    private static async Task PublishManifestAsync(Artefacts artefacts, string skill, params DeploymentFile[] files)
    {
        var manifest = new DeploymentManifest { Skill = skill, Version = 9, PublishedAt = artefacts.Now, Files = files };
        await artefacts.PublishAsync(DeploymentBundles.Kind, skill, DeploymentBundles.ManifestFileName, JsonSerializer.SerializeToUtf8Bytes(manifest, SkillJson.Options), None);
    }

    /// <summary>A deploy folder as promote leaves it: template and compose file at the top, the skill's
    /// Dockerfile and bundle under its name, with <paramref name="extra"/> files of random bytes in it.
    /// Returns what promote reports as deployment files (the bundle as one folder).</summary>
    private static List<string> WriteDeployFolder(string deploy, string skill, int seed, params (string Path, int Size)[] extra)
    {
        var random = new Random(seed);
        var files = new List<(string, byte[])>
        {
            (DeploymentConfig.TemplateFile, System.Text.Encoding.UTF8.GetBytes($"Resources: # {random.Next()}\n")),
            (DeploymentConfig.ComposeFile, System.Text.Encoding.UTF8.GetBytes($"services: # {random.Next()}\n")),
            ($"{skill}/Dockerfile", System.Text.Encoding.UTF8.GetBytes($"FROM scratch # {random.Next()}\n")),
            ($"{skill}/{DeploymentConfig.BundleDirectory}/.skillmaker/config.json", System.Text.Encoding.UTF8.GetBytes($$"""{"seed": {{random.Next()}}}""")),
        };
        foreach (var (path, size) in extra)
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            files.Add(($"{skill}/{path}", bytes));
        }
        foreach (var (relative, bytes) in files)
        {
            var path = Path.Combine(deploy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
        return [Path.Combine(deploy, DeploymentConfig.TemplateFile), Path.Combine(deploy, DeploymentConfig.ComposeFile),
            Path.Combine(deploy, skill, "Dockerfile"), Path.Combine(deploy, skill, DeploymentConfig.BundleDirectory)];
    }

    private static SortedDictionary<string, byte[]> Files(string folder) => new(
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes), StringComparer.Ordinal);
}
