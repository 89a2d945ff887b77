using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Skills;

namespace Skillmaker.Training;

/// <summary>One skill, from data to deployment, in one JSON file (schema: schemas/skill.schema.json,
/// reference: docs/training.md). Read by <see cref="SkillConfigLoader"/>.</summary>
public sealed record SkillConfig
{
    /// <summary>Editor hint; ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    /// <summary>Skill name: lower-case letters, digits, '-', '_', '.'; names the package folder and the
    /// service. Required.</summary>
    public string Name { get; init; } = "";

    public string? Description { get; init; }

    /// <summary>The dataset definition: a path (relative to this file) or the definition object inline. Required.</summary>
    public JsonElement? Definition { get; init; }

    /// <summary>Train on this existing manifest (id or unique prefix) instead of extracting one. Default: extract.</summary>
    public string? Manifest { get; init; }

    public NetworkSpec Network { get; init; } = new();

    public AugmentationSpec Augmentations { get; init; } = new();

    /// <summary>Named runtime profiles (laptop, server, …). <c>default</c> is used without --profile.</summary>
    public IReadOnlyDictionary<string, ProfileSpec> Profiles { get; init; } = new Dictionary<string, ProfileSpec>();

    /// <summary>Promotion thresholds.</summary>
    public GateSettings Gate { get; init; } = new();

    public ServingSpec Serving { get; init; } = new();

    /// <summary>How the skill is evaluated besides the test split: <c>{ "folds": 5 }</c> for k-fold cross-validation.</summary>
    public EvaluationSpec Evaluation { get; init; } = new();

    /// <summary>Who hears about training and promotion. Default: nobody.</summary>
    public NotificationSettings? Notify { get; init; }
}

public sealed record NetworkSpec
{
    public BackboneSpec Backbone { get; init; } = new();
    public HeadSpec Head { get; init; } = new();

    /// <summary>Test-time augmentation when evaluating and serving: hflip (default: the embedding is the
    /// mean of the image's and its mirror image's; twice the backbone work per image) or none.</summary>
    public string TestTime { get; init; } = "hflip";
}

/// <summary>A config read from disk and checked: the definition resolved, the backbone located, the
/// hash of what it says computed.</summary>
public sealed record LoadedSkillConfig
{
    public required string Path { get; init; }
    public required SkillConfig Config { get; init; }
    public required Datasets.DatasetDefinition Definition { get; init; }
    /// <summary>Absolute path of the backbone file.</summary>
    public required string BackbonePath { get; init; }
    /// <summary>A copy of the backbone this process reads instead of <see cref="BackbonePath"/> (a worker's,
    /// fetched from the blob store by its hash). Packages still record <see cref="BackbonePath"/>.</summary>
    public string? BackboneCopy { get; init; }
    /// <summary>The effective config (definition inlined, defaults applied) as canonical JSON.</summary>
    public required string EffectiveJson { get; init; }
    public required string ConfigHash { get; init; }

    public string Name => Config.Name;

    /// <summary>The named profile, or <c>default</c> (else built-in defaults) when none is named.</summary>
    public (string Name, ProfileSpec Profile) ResolveProfile(string? name)
    {
        if (name is null)
            return Config.Profiles.TryGetValue("default", out var d) ? ("default", d) : ("built-in", new ProfileSpec());
        if (Config.Profiles.TryGetValue(name, out var p)) return (name, p);
        throw new Common.SkillmakerException(
            $"Profile '{name}' is not in {Path}; it has: {(Config.Profiles.Count == 0 ? "(none; add a \"profiles\" section)" : string.Join(", ", Config.Profiles.Keys.Order(StringComparer.Ordinal)))}.");
    }
}
