using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Skillmaker.Detection;
using Skillmaker.Serving;
using Skillmaker.Storage;
using Skillmaker.Tests.Serving;
using Skillmaker.Workspaces;
using YamlDotNet.RepresentationModel;

namespace Skillmaker.Tests.Promotion;

/// <summary>What promotion writes under deploy/: the files a container build reads and the serving
/// bundle each image holds, checked by serving from a copy of the bundle as the image would.</summary>
[Collection(ServingCollection.Name)]
public sealed class DeploymentBundleTests(ServingFixture fixture)
{
    [Fact]
    public async Task Promote_Skill_BundleServesTheSkillFromACopyWithItsOwnModelsAndKeys()
    {
        // The fixture's key was added after the promotions: promoting the live version again refreshes the bundle.
        var root = fixture.Clone();
        var again = await CliRunner.RunAsync(root, "promote", "make@1", "--json");
        Assert.True(again.Json.GetProperty("alreadyProduction").GetBoolean());
        using var image = new TempDir("image");
        var workspace = Path.Combine(image.Path, "workspace");
        // The Dockerfile's `COPY workspace/ /workspace/`: the bundle must not need anything at its old place.
        Common.DirectoryCopy.Recursive(Path.Combine(root, "deploy", "make", "workspace"), workspace);
        var bundle = await Workspace.OpenAsync(workspace, CancellationToken.None);
        var detector = DetectorSetup.LocateModel(bundle, _ => null);
        Assert.StartsWith(workspace, detector, StringComparison.Ordinal);
        var package = Directory.GetDirectories(Path.Combine(bundle.StateDirectory, "skills", "make")).Single();
        Assert.True(File.Exists(Path.Combine(package, Path.GetFileName(TestAssets.Backbone))), "the backbone travels with the package");

        await using var server = await ServingFixture.StartAsync(workspace, detector: detector);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0])) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stage = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("cascade").EnumerateArray());
        Assert.Equal("make", stage.GetProperty("skill").GetString());
        Assert.Equal(1, stage.GetProperty("skillVersion").GetInt32());
        Assert.Equal("make@1", response.Headers.GetValues(ApiHeaders.SkillVersions).Single());
    }

    [Fact]
    public async Task ServerProgram_BundleCopy_ServesAndStopsAsTheImageRunsIt()
    {
        var root = fixture.Clone();
        Assert.Equal(0, (await CliRunner.RunAsync(root, "promote", "make@1")).ExitCode);
        using var image = new TempDir("image");
        var workspace = Path.Combine(image.Path, "workspace");
        Common.DirectoryCopy.Recursive(Path.Combine(root, "deploy", "make", "workspace"), workspace);
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "deploy", "make", "Dockerfile"));
        Assert.Contains("dotnet publish src/Skillmaker.Server/Skillmaker.Server.csproj", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/skillmaker-server.dll\"", dockerfile, StringComparison.Ordinal);
        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        // As the image: the server program alone, the bundle as its workspace, no shared assets to fall back on.
        var environment = new Dictionary<string, string> { ["SKILLMAKER_WORKSPACE"] = workspace, [Common.AssetLocator.EnvironmentVariable] = Path.Combine(image.Path, "no-assets") };
        await using var server = CliProcess.StartProgram("skillmaker-server.dll", image.Path, environment, "--urls", address);
        await server.WaitForAsync("serves", TimeSpan.FromMinutes(2));

        var probe = await CliProcess.StartProgram("skillmaker-server.dll", image.Path, environment, "healthcheck", $"{address}/healthz").WaitForExitAsync(TimeSpan.FromMinutes(1));
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(TestAssets.CarPhotos()[0])) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
        using var response = await http.SendAsync(request);
        await server.TerminateAsync();
        var stopped = await server.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.True(probe.ExitCode == 0, $"healthcheck: {probe.Out}{probe.Error}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("make@1", response.Headers.GetValues(ApiHeaders.SkillVersions).Single());
        Assert.Contains("make@1", stopped.Out, StringComparison.Ordinal);
        Assert.True(stopped.ExitCode == 0, $"SIGTERM ends the server cleanly; exit {stopped.ExitCode}: {stopped.Error}");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void Promote_Skills_ComposeAndDockerfilesPointAtFilesThatExist()
    {
        var deploy = Path.Combine(fixture.Root, "deploy");
        var compose = new YamlStream();
        compose.Load(new StringReader(File.ReadAllText(Path.Combine(deploy, "docker-compose.yml"))));
        var services = (YamlMappingNode)((YamlMappingNode)compose.Documents[0].RootNode)["services"];

        Assert.Equal(["skill-audi-variant", "skill-make"], services.Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        foreach (var (_, node) in services.Children)
        {
            var build = (YamlMappingNode)((YamlMappingNode)node)["build"];
            var context = Path.GetFullPath(Path.Combine(deploy, build["context"].ToString()));
            var dockerfile = File.ReadAllText(Path.Combine(context, "Dockerfile"));
            Assert.Contains("COPY --chown=app:app workspace/ /workspace/", dockerfile, StringComparison.Ordinal); // owned by the non-root user the server runs as
            Assert.Contains("SKILLMAKER_WORKSPACE=/workspace", dockerfile, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(context, "workspace", ".skillmaker", "config.json")), $"{context} holds the bundle the Dockerfile copies");
            Assert.Contains("SKILLMAKER_SOURCE", ((YamlMappingNode)build["additional_contexts"])["source"].ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Promote_NewVersion_OnlyItsTagChangesAndItsBundleMovesToTheNewVersion()
    {
        var root = fixture.Clone();
        var template = Path.Combine(root, "deploy", "cloudformation.yaml");
        var before = await File.ReadAllTextAsync(template);
        var variantBundle = Directory.GetFiles(Path.Combine(root, "deploy", "audi-variant"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var promote = await CliRunner.RunAsync(root, "promote", "make@2", "--force", "--reason", "bundle test", "--json");

        Assert.Equal(0, promote.ExitCode);
        var after = await File.ReadAllTextAsync(template);
        var (old, @new) = Assert.Single(before.Split('\n').Zip(after.Split('\n')), p => p.First != p.Second);
        Assert.StartsWith("      Tag: 'v1-", old, StringComparison.Ordinal);
        Assert.StartsWith("      Tag: 'v2-", @new, StringComparison.Ordinal);
        Assert.Equal(variantBundle, Directory.GetFiles(Path.Combine(root, "deploy", "audi-variant"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        var bundle = await Workspace.OpenAsync(Path.Combine(root, "deploy", "make", "workspace"), CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(bundle, CancellationToken.None);
        Assert.Equal(2, await WorkspaceStorage.AliasRegistry(catalog).GetAliasAsync("make", "production", CancellationToken.None));
        Assert.Equal(["2"], Directory.GetDirectories(Path.Combine(bundle.StateDirectory, "skills", "make")).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(root, "deploy")), d => d.Contains(".staging-", StringComparison.Ordinal) || d.Contains(".old-", StringComparison.Ordinal));
    }
}
