using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Skillmaker.Augmentation;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Skills;
using Skillmaker.Tests.Support;
using Skillmaker.Training;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Tests.Training;

/// <summary>schemas/skill.schema.json and the config types must say the same thing, and the example
/// config must load.</summary>
public sealed class SkillSchemaTests
{
    private static readonly JsonNode Schema = JsonNode.Parse(File.ReadAllText(Repository.File("schemas/skill.schema.json")))!;

    public static TheoryData<string, Type> Objects => new()
    {
        { "", typeof(SkillConfig) },
        { "properties/network", typeof(NetworkSpec) },
        { "properties/augmentations", typeof(AugmentationSpec) },
        { "properties/gate", typeof(GateSettings) },
        { "properties/serving", typeof(ServingSpec) },
        { "properties/notify", typeof(NotificationSettings) },
        { "properties/notify/properties/email", typeof(EmailSettings) },
        { "$defs/backbone", typeof(BackboneSpec) },
        { "$defs/preprocessing", typeof(PreprocessingSpec) },
        { "$defs/head", typeof(HeadSpec) },
        { "$defs/logisticParams", typeof(LogisticParams) },
        { "$defs/lightgbmParams", typeof(LightGbmParams) },
        { "$defs/knnParams", typeof(KnnParams) },
        { "$defs/linearSvmParams", typeof(LinearSvmParams) },
        { "$defs/profile", typeof(ProfileSpec) },
        { "$defs/augmentationStep", typeof(AugmentationStep) },
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void Schema_ObjectProperties_MatchConfigType(string path, Type type)
    {
        var node = At(path);

        var inSchema = node["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal);
        var inCode = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetMethod is not null)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Order(StringComparer.Ordinal);
        Assert.Equal(inCode, inSchema);
        Assert.False(node["additionalProperties"]!.GetValue<bool>());
    }

    [Fact]
    public void Schema_Enumerations_MatchCode()
    {
        static IEnumerable<string> Enum(string pointer) => At(pointer)["enum"]!.AsArray().Select(v => v!.GetValue<string>());
        static IEnumerable<string> Kebab<T>() where T : struct, System.Enum => System.Enum.GetNames<T>().Select(JsonNamingPolicy.KebabCaseLower.ConvertName);

        Assert.Equal(HeadSpec.Types, Enum("$defs/head/properties/type"));
        Assert.Equal(ProfileSpec.ExecutionProviders, Enum("$defs/profile/properties/executionProvider"));
        Assert.Equal(AugmentationSteps.Ops, Enum("$defs/augmentationStep/properties/op"));
        Assert.Equal(Kebab<ResizeMode>(), Enum("$defs/preprocessing/properties/resize"));
        Assert.Equal(Kebab<CropMode>(), Enum("$defs/preprocessing/properties/crop"));
        Assert.Equal(Kebab<ChannelOrder>(), Enum("$defs/preprocessing/properties/channelOrder"));
        Assert.Equal(Kebab<TensorLayout>(), Enum("$defs/preprocessing/properties/layout"));
        Assert.Equal(Kebab<NotificationEvent>(), Enum("properties/notify/properties/events/items"));
        Assert.Equal(Kebab<AccuracyRule>(), Enum("properties/gate/properties/accuracyRule"));
        Assert.Equal(Kebab<NoChangeOutcome>(), Enum("properties/gate/properties/onNoChange"));
        Assert.Equal(Kebab<LeakagePolicy>(), Enum("properties/gate/properties/leakage"));
        Assert.Equal(Kebab<CascadeRule>(), Enum("properties/gate/properties/cascade"));
    }

    [Fact]
    public async Task ExampleConfig_LoadsWithItsDefinition()
    {
        var skill = await SkillConfigLoader.LoadAsync(Repository.File("examples/car-variants/car-variants.skill.json"),
            name => name == Common.AssetLocator.EnvironmentVariable ? TestAssets.Dir : null, CancellationToken.None);

        Assert.Equal("car-variants", skill.Name);
        Assert.Equal(TestAssets.Backbone, skill.BackbonePath);
        Assert.Equal(2, skill.Config.Augmentations.CopiesPerImage);
        Assert.Equal(["default", "laptop", "server"], skill.Config.Profiles.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("laptop", 8), (skill.ResolveProfile("laptop").Name, skill.ResolveProfile("laptop").Profile.BatchSize));
        Assert.Equal(64, skill.ConfigHash.Length);
    }

    private static JsonNode At(string pointer) =>
        pointer.Length == 0 ? Schema : pointer.Split('/').Aggregate(Schema, (node, part) => node[part] ?? throw new InvalidOperationException($"schema has no {pointer}"));
}
