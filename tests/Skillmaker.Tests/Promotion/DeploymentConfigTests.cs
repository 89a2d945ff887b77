using Skillmaker.Promotion;
using YamlDotNet.RepresentationModel;

namespace Skillmaker.Tests.Promotion;

public sealed class DeploymentConfigTests
{
    private static readonly DeployedSkill Makes = new() { Name = "makes", Version = 3, CodeVersion = "3f2a9c1d0e", DesiredCount = 2 };
    private static readonly DeployedSkill Variants = new() { Name = "bmw-variants", Version = 5, CodeVersion = "3f2a9c1d0e", Port = 8090 };

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Entry(YamlMappingNode root, string skill) =>
        (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["Mappings"])["Skills"])[skill];

    [Fact]
    public void CloudFormation_TwoSkills_ParsesWithMappingAndFindInMapReferences()
    {
        var yaml = DeploymentConfig.CloudFormation([Makes, Variants]);

        var root = Parse(yaml);

        var makes = Entry(root, "makes");
        Assert.Equal("skillmaker/skill-makes", makes["Image"].ToString());
        Assert.Equal("8080", makes["Port"].ToString());
        Assert.Equal("v3-3f2a9c1", makes["Tag"].ToString());
        Assert.Equal("2", makes["DesiredCount"].ToString());
        Assert.Equal("skill-makes", makes["ServiceName"].ToString());
        var resources = (YamlMappingNode)root["Resources"];
        var service = (YamlMappingNode)((YamlMappingNode)resources["MakesService"])["Properties"];
        Assert.Equal("!FindInMap", service["DesiredCount"].Tag.Value);
        Assert.Equal(["Skills", "makes", "DesiredCount"], ((YamlSequenceNode)service["DesiredCount"]).Select(n => n.ToString()));
        Assert.True(resources.Children.ContainsKey("BmwVariantsTaskDefinition"));
    }

    [Fact]
    public void WithSkill_PromotedVersion_OnlyTagLineChanges()
    {
        var before = DeploymentConfig.CloudFormation([Makes, Variants]) + "# hand-written note that must survive\n";

        var after = DeploymentConfig.WithSkill(before, Makes with { Version = 4, CodeVersion = "9999999abc" });

        var changed = before.Split('\n').Zip(after.Split('\n')).Where(p => p.First != p.Second).ToList();
        var (old, @new) = Assert.Single(changed);
        Assert.Equal("      Tag: 'v3-3f2a9c1'", old);
        Assert.Equal("      Tag: 'v4-9999999'", @new);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal("v4-9999999", Entry(Parse(after), "makes")["Tag"].ToString());
        Assert.Equal("v5-3f2a9c1", Entry(Parse(after), "bmw-variants")["Tag"].ToString());
    }

    [Fact]
    public void WithSkill_NewSkill_AddsEntryAndResourcesKeepingOthers()
    {
        var before = DeploymentConfig.CloudFormation([Makes]);

        var after = DeploymentConfig.WithSkill(before, Variants);

        var root = Parse(after);
        Assert.Equal("v5-3f2a9c1", Entry(root, "bmw-variants")["Tag"].ToString());
        Assert.Equal("v3-3f2a9c1", Entry(root, "makes")["Tag"].ToString());
        Assert.True(((YamlMappingNode)root["Resources"]).Children.ContainsKey("BmwVariantsService"));
    }

    [Fact]
    public void WithSkill_TemplateWithoutSkillsMapping_ExplainsExpectedLayout()
    {
        var ex = Assert.Throws<Common.SkillmakerException>(() => DeploymentConfig.WithSkill("Resources: {}\n", Makes));

        Assert.Contains("Mappings: Skills:", ex.Message);
    }

    [Fact]
    public void DockerfileAndCompose_RecordVersionsAsArgsLabelsAndEnvironment()
    {
        var dockerfile = DeploymentConfig.Dockerfile(Makes);
        var compose = Parse(DeploymentConfig.Compose([Makes, Variants]));

        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", dockerfile);
        Assert.Contains("ARG SKILL_VERSION=3", dockerfile);
        Assert.Contains("ARG CODE_VERSION=3f2a9c1d0e", dockerfile);
        Assert.Contains("org.skillmaker.skill-version=\"${SKILL_VERSION}\"", dockerfile);
        Assert.Contains("SKILLMAKER_CODE_VERSION=${CODE_VERSION}", dockerfile);
        var service = (YamlMappingNode)((YamlMappingNode)compose["services"])["skill-makes"];
        Assert.Equal("skillmaker/skill-makes:v3-3f2a9c1", service["image"].ToString());
        Assert.Equal("3", ((YamlMappingNode)((YamlMappingNode)service["build"])["args"])["SKILL_VERSION"].ToString());
    }

    [Fact]
    public void Dockerfile_RuntimeStage_RunsAsTheUnprivilegedUserWhoOwnsTheWorkspace()
    {
        // Issue 22: the generated image ran the server as root.
        var lines = DeploymentConfig.Dockerfile(Makes).Split('\n').Select(l => l.Trim()).ToList();
        var runtime = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();

        var user = Assert.Single(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain(user[5..].Trim(), new[] { "root", "0", "0:0", "root:root" });
        Assert.True(runtime.IndexOf(user) < runtime.FindIndex(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)), "USER comes before ENTRYPOINT");
        Assert.Contains(runtime, l => l.StartsWith("COPY --chown=app:app ", StringComparison.Ordinal) && l.EndsWith(" /workspace/", StringComparison.Ordinal));
    }
}
