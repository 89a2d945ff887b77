using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Serving;

namespace Skillmaker.Demo;

/// <summary>One skill the demo trains: its dataset definition and skill config, as files a user can
/// read, change and train again with <c>skillmaker extract</c> / <c>skillmaker train</c>.</summary>
public sealed record DemoSkill(string Name, string DatasetName, string DefinitionJson, string ConfigJson, string Description)
{
    public string DefinitionFile => $"{DatasetName}.dataset.json";
    public string ConfigFile => $"{Name}.skill.json";
}

/// <summary>What the demo trains, derived from the car folders: a <c>make</c> skill (classes = makes,
/// each made of the folder labels of that make) and, for the make with the most variants, a variant
/// skill, so that the served cascade is vehicle → make → variant.</summary>
public sealed record DemoPlan(DemoSkill Make, DemoSkill? Variant, string? VariantMake)
{
    public const string MakeSkill = "make";
    public const double TestFraction = 0.25;
    /// <summary>A class needs this many crops to stay in a dataset (smaller ones are dropped and reported).</summary>
    public const int MinPerClass = 10;
    /// <summary>Below this top probability a served stage abstains and returns its options.</summary>
    public const double AbstainBelow = 0.5;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public IReadOnlyList<DemoSkill> Skills => Variant is null ? [Make] : [Make, Variant];

    /// <summary>The cascade to serve: make, then the variant skill for its make.</summary>
    public ServingConfig Serving() => new()
    {
        Cascade = new CascadeStage
        {
            Skill = Make.Name,
            Next = Variant is null || VariantMake is null
                ? new Dictionary<string, CascadeStage>()
                : new Dictionary<string, CascadeStage> { [VariantMake] = new CascadeStage { Skill = Variant.Name } },
        },
    };

    /// <summary>Plans from the class folder names (the label hints) and, when given, <c>labels.csv</c>
    /// (columns <c>file</c> and <c>make</c>) for each folder's make; without it the make is the folder
    /// name up to its first '_'.</summary>
    public static DemoPlan From(IReadOnlyList<string> labels, string? labelsCsv, string backbonePath)
    {
        var makes = MakesOf(labels, labelsCsv);
        var byMake = labels.GroupBy(l => makes[l]).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (byMake.Count < 2)
            throw new SkillmakerException($"The car folders ({string.Join(", ", labels)}) are all of one make ({byMake[0].Key}); the demo's make skill needs at least two makes.");
        var make = Skill(MakeSkill, "makes", "Car make from a vehicle crop (trained by skillmaker demo)",
            byMake.Select(g => (g.Key, g.Order(StringComparer.Ordinal).ToArray())), backbonePath);

        var richest = byMake.Where(g => g.Count() >= 2).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).FirstOrDefault();
        if (richest is null) return new DemoPlan(make, null, null);
        var variant = Skill($"{richest.Key}-variant", $"{richest.Key}-variants", $"{richest.Key} model and year from a vehicle crop (trained by skillmaker demo)",
            richest.Order(StringComparer.Ordinal).Select(l => (l, new[] { l })), backbonePath);
        return new DemoPlan(make, variant, richest.Key);
    }

    private static DemoSkill Skill(string name, string dataset, string description, IEnumerable<(string Class, string[] Labels)> classes, string backbonePath)
    {
        var definition = JsonSerializer.Serialize(new
        {
            name = dataset,
            imageKind = "crop",
            // The crowd step of the demo: what the source claimed (the folder name) is taken as the label.
            allowLabelHints = true,
            testFraction = TestFraction,
            classes = classes.Select(c => new { name = c.Class, labels = c.Labels }),
            balance = new { minPerClass = MinPerClass },
        }, Json);
        var config = JsonSerializer.Serialize(new
        {
            name,
            description,
            definition = $"{dataset}.dataset.json",
            network = new
            {
                backbone = new { path = backbonePath, output = "features", preprocessing = new { resize = "stretch", crop = "none" } },
                head = new { type = "logistic", @params = new { l2 = 1 } },
            },
            profiles = new Dictionary<string, object> { ["default"] = new { batchSize = 16 } },
            gate = new { minAccuracyDelta = 0.0, latencyTolerance = 0.1 },
            serving = new { abstainBelow = AbstainBelow, topK = 3 },
        }, Json);
        return new DemoSkill(name, dataset, definition, config, description);
    }

    private static Dictionary<string, string> MakesOf(IReadOnlyList<string> labels, string? labelsCsv)
    {
        var fromCsv = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labelsCsv is not null)
        {
            using var records = CsvReader.ReadFile(labelsCsv).GetEnumerator();
            var header = records.MoveNext() ? records.Current.Fields : [];
            var file = Array.IndexOf(header, "file");
            var make = Array.IndexOf(header, "make");
            if (file < 0 || make < 0)
                throw new SkillmakerException($"{labelsCsv} has no 'file' and 'make' columns (it has {string.Join(", ", header)}); expected file,make,... as in the shared assets.");
            while (records.MoveNext())
            {
                var row = records.Current.Fields;
                if (row.Length > Math.Max(file, make) && row[file].Split('/', 2) is [var folder, _])
                    fromCsv.TryAdd(folder, Slug(row[make]));
            }
        }
        return labels.ToDictionary(l => l, l => fromCsv.TryGetValue(l, out var m) ? m : Slug(l.Split('_', 2)[0]), StringComparer.Ordinal);
    }

    /// <summary>A make as a label and skill-name part: lower case, letters and digits, '-' between words.</summary>
    public static string Slug(string text) =>
        string.Join('-', new string([.. text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ')]).Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
