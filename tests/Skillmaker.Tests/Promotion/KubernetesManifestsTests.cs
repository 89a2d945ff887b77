using k8s;
using k8s.Models;
using Skillmaker.Jobs;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Promotion;

/// <summary><c>deploy kubernetes</c>: the manifests read strictly by the official Kubernetes client's API models
/// (an unknown field or a wrong type is an error), and checked for what makes them work: selectors that
/// match, the settings the workers take, no secret anywhere.</summary>
public sealed class KubernetesManifestsTests
{
    private const string Password = "s3cret-Pw";

    private static async Task<string> ServerWorkspaceAsync(TempDir dir)
    {
        var root = Path.Combine(dir.Path, "ws");
        var workspace = Workspace.Prepare(root, new WorkspaceConfig
        {
            Seed = 5,
            Catalog = $"postgres://skillmaker:{Password}@db.internal:5432/skillmaker?schema=fans",
            Blobs = "s3://photos/fans",
            S3 = new S3Settings { Endpoint = "http://minio.internal:9000" },
            Jobs = new JobsSettings { Storage = $"postgres://skillmaker:{Password}@db.internal:5432/skillmaker?schema=hangfire", InvisibilityTimeoutSeconds = 20 },
        });
        await workspace.SaveAsync(CancellationToken.None);
        return root;
    }

    [Fact]
    public async Task DeployKubernetes_ServerModeWorkspace_ManifestsReadStrictlyByTheKubernetesModelsWithWorkerSettingsAndNoSecret()
    {
        using var dir = new TempDir("k8s");
        var root = await ServerWorkspaceAsync(dir);

        var result = await CliRunner.RunAsync(root, "deploy", "kubernetes", "--workers", "3", "--threads", "1", "--image", "registry.internal/skillmaker:1.2", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var path = result.Json.GetProperty("manifests").GetString()!;
        Assert.Equal(Path.Combine(root, "deploy", "kubernetes.yaml"), path);
        var yaml = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain(Password, yaml);
        var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);
        Assert.Equal(["ConfigMap", "ConfigMap", "Deployment", "Deployment", "Service"], objects.Select(o => ((IKubernetesObject)o).Kind));

        var maps = objects.OfType<V1ConfigMap>().ToDictionary(m => m.Metadata.Name);
        var config = Workspace.FromConfig("/workspace", maps["skillmaker-workspace"].Data["config.json"]).Config;
        Assert.Equal("postgres://skillmaker@db.internal:5432/skillmaker?schema=fans", config.Catalog);
        Assert.Equal(20, config.Jobs!.InvisibilityTimeoutSeconds);
        var workerSettings = maps["skillmaker-worker"].Data;
        Assert.Equal("postgres://skillmaker@db.internal:5432/skillmaker?schema=hangfire", workerSettings["SKILLMAKER_QUEUE"]);
        Assert.Equal("1", workerSettings["SKILLMAKER_WORKER_THREADS"]);

        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);
        foreach (var deployment in deployments.Values)
        {
            // The selector picks the pods the template makes, else Kubernetes refuses the Deployment.
            Assert.All(deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, deployment.Spec.Template.Metadata.Labels[l.Key]));
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            Assert.Equal("registry.internal/skillmaker:1.2", container.Image);
            Assert.Contains(container.EnvFrom, e => e.SecretRef?.Name == "skillmaker-credentials");
            Assert.All(container.VolumeMounts, m => Assert.Contains(deployment.Spec.Template.Spec.Volumes, v => v.Name == m.Name));
        }
        var worker = deployments["skillmaker-worker"];
        Assert.Equal(3, worker.Spec.Replicas);
        Assert.Equal(["worker", "--name", "$(POD_NAME)"], worker.Spec.Template.Spec.Containers[0].Args);
        Assert.Contains(worker.Spec.Template.Spec.Containers[0].EnvFrom, e => e.ConfigMapRef?.Name == "skillmaker-worker");
        var server = deployments["skillmaker-server"].Spec.Template.Spec;
        Assert.Contains(server.Containers[0].VolumeMounts, m => m.MountPath == "/workspace/.skillmaker/config.json" && m.SubPath == "config.json");
        Assert.Contains(server.Volumes, v => v.ConfigMap?.Name == "skillmaker-workspace");
        var service = Assert.Single(objects.OfType<V1Service>());
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, deployments["skillmaker-server"].Spec.Template.Metadata.Labels[l.Key]));
        Assert.Equal("http", Assert.Single(service.Spec.Ports).TargetPort.Value);

        // The check has teeth: a misspelt field is refused.
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml.Replace("  replicas: 3", "  replica: 3", StringComparison.Ordinal), strict: true));
    }

    [Fact]
    public async Task DeployKubernetes_SqliteWorkspace_SaysItNeedsServerMode()
    {
        using var dir = new TempDir("k8s");
        Assert.Equal(0, (await CliRunner.RunAsync(dir.Path, "init", "--seed", "1")).ExitCode);

        var result = await CliRunner.RunAsync(dir.Path, "deploy", "kubernetes");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not in server mode", result.Error);
        Assert.False(File.Exists(Path.Combine(dir.Path, "deploy", "kubernetes.yaml")));
    }
}
