namespace Skillmaker.Common;

/// <summary>Where a metadata value or label came from. Stored with every value so that a reader can
/// always tell a measured fact from a guess.</summary>
public enum Provenance
{
    /// <summary>Given by the source: a folder name, a CSV manifest column, a crawled listing.</summary>
    Source,
    /// <summary>Read from the file's own EXIF metadata.</summary>
    Exif,
    /// <summary>Consolidated from crowd workers' answers.</summary>
    Crowd,
    /// <summary>Decided by an expert reviewer.</summary>
    Expert,
    /// <summary>Predicted by a model.</summary>
    Model,
    /// <summary>Assigned by Skillmaker itself, e.g. a fresh set id for a photo that came without one.</summary>
    System,
}

public static class ProvenanceExtensions
{
    /// <summary>Higher wins when two values of one field disagree: a person's decision beats a file's
    /// metadata, which beats what a source claimed, which beats a model's guess or a generated id.</summary>
    public static int Trust(this Provenance provenance) => provenance switch
    {
        Provenance.Expert => 50,
        Provenance.Crowd => 40,
        Provenance.Exif => 30,
        Provenance.Source => 20,
        Provenance.Model => 10,
        Provenance.System => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(provenance), provenance, null),
    };

    public static string ToWire(this Provenance provenance) => provenance.ToString().ToLowerInvariant();

    public static Provenance ParseProvenance(string value) =>
        Enum.TryParse<Provenance>(value, ignoreCase: true, out var p) && Enum.IsDefined(p)
            ? p
            : throw new FormatException($"Unknown provenance '{value}'; expected one of: {string.Join(", ", Enum.GetNames<Provenance>().Select(n => n.ToLowerInvariant()))}.");
}
