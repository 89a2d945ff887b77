using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Catalog;
using Skillmaker.Common;

namespace Skillmaker.Datasets;

/// <summary>What a dataset is made of: which images, which classes, how to split and balance. Read
/// from a JSON file; see docs/datasets.md for the reference.</summary>
public sealed record DatasetDefinition
{
    /// <summary>Dataset name, used in manifest file names. Required.</summary>
    public string Name { get; init; } = "";

    /// <summary>Which images: <c>crop</c> (default; vehicle crops from detection) or <c>original</c>.</summary>
    public ImageKind ImageKind { get; init; } = ImageKind.Crop;

    /// <summary>Classes, each mapping one or more labels to a class name. Either this or
    /// <see cref="ClassesFromLabels"/>.</summary>
    public IReadOnlyList<ClassDefinition> Classes { get; init; } = [];

    /// <summary>Every distinct label becomes a class of its own. Default false.</summary>
    public bool ClassesFromLabels { get; init; }

    /// <summary>Also accept label hints (what a source claimed) where no person confirmed a label.
    /// Default false: only confirmed labels count.</summary>
    public bool AllowLabelHints { get; init; }

    public DatasetFilters Filters { get; init; } = new();

    /// <summary>Only images (or crops of photos) that came from one of these sources. Default: every source.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>What happens to crops that are not their photo's subject (a background car): the photo's
    /// labels never go to them. <c>crowd</c> (default): they enter only with a label decided about the crop
    /// itself (crowd or reviewer), and are counted as waiting until then; <c>leaveOut</c>: never.</summary>
    public BackgroundCrops BackgroundCrops { get; init; } = BackgroundCrops.Crowd;

    /// <summary><c>train</c> (default): a train/test split by <see cref="TestFraction"/>. <c>test</c>: an
    /// external labelled test set; every item is test, and stays test (sticky).</summary>
    public DatasetRole Role { get; init; } = DatasetRole.Train;

    /// <summary>Target share of items in the test split, in [0, 1). Default 0.2. 0 puts every new group in
    /// train (train on all the data; evaluate by cross-validation, <c>evaluation.folds</c> in the skill
    /// config). Earlier test groups stay test whatever this says.</summary>
    public double TestFraction { get; init; } = 0.2;

    public BalancePolicy Balance { get; init; } = new();

    /// <summary>Augmentation steps for previews (a skill config may set its own for training).
    /// Default: <see cref="Augmentation.AugmentationSteps.Defaults"/>.</summary>
    public IReadOnlyList<Augmentation.AugmentationStep>? Augmentations { get; init; }
}

/// <summary>See <see cref="DatasetDefinition.BackgroundCrops"/>.</summary>
public enum BackgroundCrops { Crowd, LeaveOut }

/// <summary>See <see cref="DatasetDefinition.Role"/>.</summary>
public enum DatasetRole { Train, Test }

public sealed record ClassDefinition
{
    public string Name { get; init; } = "";
    public IReadOnlyList<string> Labels { get; init; } = [];
}

/// <summary>Which candidates are kept. Empty lists mean no constraint.</summary>
public sealed record DatasetFilters
{
    /// <summary>Accepted crowd answers to "what does the photo show" (e.g. exterior). Items without a
    /// consolidated crowd answer are excluded when this is set.</summary>
    public IReadOnlyList<string> CrowdContent { get; init; } = [];

    /// <summary>Accepted crowd answers to "how good is the photo" (e.g. good).</summary>
    public IReadOnlyList<string> CrowdQuality { get; init; } = [];

    /// <summary>Smallest accepted width in pixels. Default 0 (any).</summary>
    public int MinWidth { get; init; }

    /// <summary>Smallest accepted height in pixels. Default 0 (any).</summary>
    public int MinHeight { get; init; }
}

/// <summary>How uneven classes are handled. Counts before and after are always reported.</summary>
public sealed record BalancePolicy
{
    /// <summary>Classes with fewer items than this are dropped (and reported). Default 2.</summary>
    public int MinPerClass { get; init; } = 2;

    /// <summary>Classes with more training items than this are undersampled deterministically (test
    /// items are never dropped, so evaluation stays honest). Default: no cap.</summary>
    public int? MaxPerClass { get; init; }

    /// <summary>Record inverse-frequency class weights in the manifest for the trainer. Default false.</summary>
    public bool ClassWeights { get; init; }
}

public static class DatasetDefinitionLoader
{
    public static readonly IReadOnlyList<string> CrowdContentValues =
        ["interior", "exterior", "closeup", "closeup_text", "obstructed", "opening_mechanism", "wheel", "unsure"];

    public static readonly IReadOnlyList<string> CrowdQualityValues = ["good", "blurry", "low_resolution", "distorted", "other"];

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(DatasetDefinition definition) => JsonSerializer.Serialize(definition, Options);

    /// <summary>Reads and validates a definition; every problem is reported with its field path.</summary>
    public static async Task<DatasetDefinition> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new SkillmakerException($"Dataset definition {path} does not exist.");
        return Parse(await File.ReadAllTextAsync(path, cancellationToken), $"Dataset definition {path}");
    }

    /// <summary>Parses and validates definition JSON (e.g. inline in a skill config); <paramref name="what"/>
    /// names it in error messages.</summary>
    public static DatasetDefinition Parse(string json, string what)
    {
        DatasetDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize<DatasetDefinition>(json, Options);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 1 } p ? $" at {p.TrimStart('$', '.')}" : "";
            throw new SkillmakerException($"{what} is not valid{field}: {Plain(ex.Message)}", ex);
        }
        if (definition is null) throw new SkillmakerException($"{what} is empty; expected a JSON object.");
        var errors = Validate(definition);
        if (errors.Count > 0)
            throw new SkillmakerException($"{what} has {errors.Count} problem(s):\n  " + string.Join("\n  ", errors));
        return definition;
    }

    /// <summary>Checks that need no catalog: names, ranges, allowed values.</summary>
    public static IReadOnlyList<string> Validate(DatasetDefinition d)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(d.Name) || d.Name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')))
            errors.Add($"name: '{d.Name}' must be 1+ letters, digits, '-', '_' or '.'");
        if (d.ClassesFromLabels && d.Classes.Count > 0)
            errors.Add("classes: give either classes or classesFromLabels: true, not both");
        if (!d.ClassesFromLabels && d.Classes.Count == 0)
            errors.Add("classes: at least two classes are needed (or set classesFromLabels: true)");
        for (var i = 0; i < d.Classes.Count; i++)
        {
            var c = d.Classes[i];
            if (string.IsNullOrWhiteSpace(c.Name)) errors.Add($"classes[{i}].name: must not be empty");
            if (c.Labels.Count == 0) errors.Add($"classes[{i}].labels: class '{c.Name}' maps no labels; give at least one");
        }
        foreach (var dup in d.Classes.GroupBy(c => c.Name).Where(g => g.Count() > 1))
            errors.Add($"classes: class name '{dup.Key}' is used {dup.Count()} times");
        foreach (var dup in d.Classes.SelectMany(c => c.Labels.Select(l => (l, c.Name))).GroupBy(x => x.l).Where(g => g.Select(x => x.Name).Distinct().Count() > 1))
            errors.Add($"classes: label '{dup.Key}' is mapped to several classes ({string.Join(", ", dup.Select(x => x.Name).Distinct())})");
        if (!(d.TestFraction >= 0 && d.TestFraction < 1))
            errors.Add($"testFraction: {d.TestFraction} is outside [0, 1); e.g. 0.2, or 0 to train on every item (evaluate by cross-validation)");
        for (var i = 0; i < d.Sources.Count; i++)
            if (string.IsNullOrWhiteSpace(d.Sources[i])) errors.Add($"sources[{i}]: must name a source (as given to ingest --source)");
        for (var i = 0; i < d.Filters.CrowdContent.Count; i++)
            if (!CrowdContentValues.Contains(d.Filters.CrowdContent[i]))
                errors.Add($"filters.crowdContent[{i}]: '{d.Filters.CrowdContent[i]}' is not an answer; allowed: {string.Join(", ", CrowdContentValues)}");
        for (var i = 0; i < d.Filters.CrowdQuality.Count; i++)
            if (!CrowdQualityValues.Contains(d.Filters.CrowdQuality[i]))
                errors.Add($"filters.crowdQuality[{i}]: '{d.Filters.CrowdQuality[i]}' is not an answer; allowed: {string.Join(", ", CrowdQualityValues)}");
        if (d.Filters.MinWidth < 0) errors.Add($"filters.minWidth: {d.Filters.MinWidth} must be 0 or more");
        if (d.Filters.MinHeight < 0) errors.Add($"filters.minHeight: {d.Filters.MinHeight} must be 0 or more");
        if (d.Augmentations is { } steps) errors.AddRange(Augmentation.AugmentationSteps.Validate(steps));
        if (d.Balance.MinPerClass < 1) errors.Add($"balance.minPerClass: {d.Balance.MinPerClass} must be 1 or more");
        if (d.Balance.MaxPerClass is { } max && max < d.Balance.MinPerClass)
            errors.Add($"balance.maxPerClass: {max} is below balance.minPerClass {d.Balance.MinPerClass}");
        return errors;
    }

    private static string Plain(string message) => message.Split(" Path:", 2)[0];
}
