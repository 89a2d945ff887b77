using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Common;

namespace Skillmaker.Datasets;

public sealed record ManifestItem(string ImageId, string? ParentId, string Class, Split Split, string Group);

public sealed record ClassCount(string Class, int Train, int Test)
{
    public int Total => Train + Test;
}

public sealed record DroppedClass(string Class, int Items, string Reason);

/// <summary>The immutable list of what one dataset extraction produced: every item with its class and
/// split. Its id is the hash of its content, so the same data always has the same id and any change
/// gives a new one; every training run names the manifest it used.</summary>
public sealed record DatasetManifest
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string DefinitionJson { get; init; }
    public required long Seed { get; init; }
    public required double TestFraction { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required IReadOnlyList<ManifestItem> Items { get; init; }
    public required IReadOnlyList<ClassCount> CountsBefore { get; init; }
    public required IReadOnlyList<ClassCount> CountsAfter { get; init; }
    public IReadOnlyList<DroppedClass> DroppedClasses { get; init; } = [];
    public IReadOnlyDictionary<string, double>? ClassWeights { get; init; }
    /// <summary>Candidates left out, by reason (e.g. "no label": 12).</summary>
    public IReadOnlyDictionary<string, int> Excluded { get; init; } = new Dictionary<string, int>();

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Hash of everything but the id and creation time, in a canonical order.</summary>
    public static string ComputeId(DatasetManifest m)
    {
        var canonical = new StringBuilder();
        canonical.Append("skillmaker-manifest-v1\n").Append(m.Name).Append('\n').Append(m.DefinitionJson).Append('\n')
            .Append(m.Seed.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(m.TestFraction.ToString("R", CultureInfo.InvariantCulture)).Append('\n')
            .Append(string.Join(',', m.Classes)).Append('\n');
        foreach (var i in m.Items.OrderBy(i => i.ImageId, StringComparer.Ordinal))
            canonical.Append(i.ImageId).Append(',').Append(i.ParentId).Append(',').Append(i.Class).Append(',').Append(i.Split).Append(',').Append(i.Group).Append('\n');
        if (m.ClassWeights is { } w)
            foreach (var (k, v) in w.OrderBy(x => x.Key, StringComparer.Ordinal)) canonical.Append(k).Append('=').Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return Sha256Hex.Of(Encoding.UTF8.GetBytes(canonical.ToString()));
    }

    public string ToCsv()
    {
        var csv = new StringBuilder("image_id,parent_id,class,split,group\n");
        foreach (var i in Items)
            csv.Append(i.ImageId).Append(',').Append(i.ParentId).Append(',').Append(CsvReader.Escape(i.Class)).Append(',')
               .Append(i.Split == Split.Test ? "test" : "train").Append(',').Append(CsvReader.Escape(i.Group)).Append('\n');
        return csv.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
