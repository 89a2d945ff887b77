using System.Text.Json;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Registry;
using Skillmaker.Serving;
using Skillmaker.Workspaces;
using Skillmaker.Storage;

namespace Skillmaker.Promotion;

/// <summary>Writes a skill service's bundle as a small SQLite workspace: the package (with its backbone,
/// so the image needs nothing from outside), the detector under <c>.skillmaker/models/</c>, the production
/// alias, the source workspace's active API keys (hashes only) and a one-stage serving config with the
/// source's limits and this skill's threshold. The detector comes from <paramref name="detectorFiles"/>:
/// the configured file, or in a shared workspace the model published to the blob store, so a bundle is
/// made on any machine.</summary>
public sealed class ServingBundleWriter(ICatalog sourceCatalog, Func<CancellationToken, Task<DetectorFiles>> detectorFiles, TimeProvider time) : IServingBundleWriter
{
    public async Task<IStagedServingBundle> StageAsync(Workspace source, ServingBundleRequest request, string directory, CancellationToken cancellationToken)
    {
        var (detector, labels) = await detectorFiles(cancellationToken);
        if (!File.Exists(detector)) throw new SkillmakerException($"Cannot bundle {request.Skill} v{request.Version} for deployment: the detector model {detector} does not exist; set detector.model in {source.ConfigPath}.");
        if (labels is not null && !File.Exists(labels)) throw new SkillmakerException($"Cannot bundle {request.Skill} v{request.Version}: the detector labels file {labels} does not exist.");

        var staging = $"{directory}.staging-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(Path.Combine(staging, Workspace.DirectoryName, "models"));
            var models = Path.Combine(Workspace.DirectoryName, "models");
            File.Copy(detector, Path.Combine(staging, models, Path.GetFileName(detector)));
            if (labels is not null) File.Copy(labels, Path.Combine(staging, models, Path.GetFileName(labels)));
            var config = new WorkspaceConfig
            {
                Seed = source.Config.Seed,
                Detector = source.Config.Detector with { Model = $"models/{Path.GetFileName(detector)}", Labels = labels is null ? null : $"models/{Path.GetFileName(labels)}" },
            };
            await AtomicFile.WriteAllTextAsync(Path.Combine(staging, Workspace.DirectoryName, Workspace.ConfigFileName), JsonSerializer.Serialize(config, WorkspaceJson.Options), cancellationToken);
            var bundle = await Workspace.OpenAsync(staging, cancellationToken);

            var package = Path.Combine(bundle.StateDirectory, request.PackagePath);
            DirectoryCopy.Recursive(request.PackageDirectory, package);
            var backbone = Path.Combine(package, Path.GetFileName(request.BackbonePath));
            if (!File.Exists(backbone)) File.Copy(request.BackbonePath, backbone);
            if (request.ReportPath is { } report) File.Copy(report, Path.Combine(package, Skills.SkillPackageInfo.ReportFileName), overwrite: true);

            await using (var catalog = await WorkspaceStorage.OpenCatalogAsync(bundle, cancellationToken))
            {
                var now = time.GetUtcNow();
                await WorkspaceStorage.AliasRegistry(catalog).MoveAliasAsync(request.Skill, Aliases.Production, request.Version, "skillmaker", "deployment bundle", now, cancellationToken);
                var keys = WorkspaceStorage.ApiKeyStore(catalog);
                foreach (var (client, hash) in await WorkspaceStorage.ApiKeyStore(sourceCatalog).ListActiveWithHashesAsync(cancellationToken))
                    await keys.AddAsync(client.Name, hash, client.CreatedAt, cancellationToken);
            }
            await AtomicFile.WriteAllTextAsync(Path.Combine(bundle.StateDirectory, ServingConfig.DefaultFileName),
                ServingConfig.Serialize(ServingFor(source, request.Skill)), cancellationToken);
            return new Staged(staging, directory);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>The skill alone, with the limits and key policy of the source's serving config and the
    /// threshold and top-k its cascade gives this skill.</summary>
    private static ServingConfig ServingFor(Workspace source, string skill)
    {
        var path = Path.Combine(source.StateDirectory, ServingConfig.DefaultFileName);
        var configured = File.Exists(path) ? ServingConfig.Load(path) : new ServingConfig();
        var stage = configured.Cascade is { } c ? ServingConfig.Walk(c).FirstOrDefault(s => s.Skill == skill) : null;
        return configured with { Cascade = new CascadeStage { Skill = skill, Threshold = stage?.Threshold, TopK = stage?.TopK } };
    }

    private sealed class Staged(string staging, string directory) : IStagedServingBundle
    {
        private bool _committed;

        public string Directory => directory;

        public void Commit()
        {
            // The old bundle moves aside first, so the final place is never a mix of the two.
            var old = $"{directory}.old-{Guid.NewGuid():N}";
            if (System.IO.Directory.Exists(directory)) System.IO.Directory.Move(directory, old);
            System.IO.Directory.Move(staging, directory);
            _committed = true;
            if (System.IO.Directory.Exists(old)) System.IO.Directory.Delete(old, recursive: true);
        }

        public void Dispose()
        {
            if (!_committed && System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
        }
    }
}
