using Skillmaker.Common;

namespace Skillmaker.Catalog;

/// <summary>An original photo, or a crop derived from one.</summary>
public enum ImageKind { Original, Crop }

/// <summary>Facts measured from an image's bytes. Immutable once written.</summary>
public sealed record ImageRecord
{
    /// <summary>SHA-256 of the stored bytes (lower-case hex); also the blob name.</summary>
    public required string Id { get; init; }
    public required ImageKind Kind { get; init; }
    /// <summary>For a crop: the image it was cut from.</summary>
    public string? ParentId { get; init; }
    public required long ByteSize { get; init; }
    /// <summary>Decoded format: jpeg, png, webp, gif, bmp.</summary>
    public required string Format { get; init; }
    /// <summary>Width after the EXIF orientation is applied.</summary>
    public required int Width { get; init; }
    /// <summary>Height after the EXIF orientation is applied.</summary>
    public required int Height { get; init; }
    /// <summary>EXIF orientation tag (1..8; 1 = as stored).</summary>
    public required int ExifOrientation { get; init; }
    /// <summary>64-bit DCT perceptual hash of the oriented image.</summary>
    public required ulong PerceptualHash { get; init; }
    public required DateTimeOffset IngestedAt { get; init; }
}

/// <summary>Where and how an image was seen. One image can have many occurrences (the same bytes
/// from two sources or two paths).</summary>
public sealed record ImageOccurrence
{
    public required string ImageId { get; init; }
    public required string Source { get; init; }
    /// <summary>Path as given (absolute for local files) or the URL it came from.</summary>
    public required string OriginalPath { get; init; }
    public required string OriginalFileName { get; init; }
    public required string RunId { get; init; }
    public required DateTimeOffset SeenAt { get; init; }
}

/// <summary>One recorded value of a metadata field, with where it came from, who recorded it, when.
/// A field's history is kept; its effective value is chosen by <see cref="FieldResolution"/>.</summary>
public sealed record FieldValue
{
    public required string ImageId { get; init; }
    public required string Field { get; init; }
    public required string Value { get; init; }
    public required Provenance Provenance { get; init; }
    /// <summary>Who or what recorded it: "source:fans", "manifest:/data/list.csv", a user, a model sha.</summary>
    public required string Actor { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>Metadata field names.</summary>
public static class Fields
{
    /// <summary>Groups photos of the same vehicle; the unit of train/test splitting.</summary>
    public const string SetId = "set_id";
    /// <summary>When the photo was taken, ISO 8601, with an offset only when one is known.</summary>
    public const string DateTaken = "date_taken";
    /// <summary>The web page (an advert) a downloaded photo was found on.</summary>
    public const string ListingUrl = "listing_url";
}

/// <summary>A hint is what a source claims (folder name, CSV column); a confirmed label is a person's
/// decision; rejected marks an image a reviewer threw out.</summary>
public enum LabelStatus { Hint, Confirmed, Rejected }

public sealed record LabelRecord
{
    public required string ImageId { get; init; }
    public required string Label { get; init; }
    public required LabelStatus Status { get; init; }
    public required Provenance Provenance { get; init; }
    public required string Actor { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
}

public sealed record NearDuplicateLink(string ImageId, string OtherImageId, int Distance);

/// <summary>Everything the catalog knows about one image.</summary>
public sealed record ImageDetails
{
    public required ImageRecord Image { get; init; }
    public required IReadOnlyList<ImageOccurrence> Occurrences { get; init; }
    public required IReadOnlyList<FieldValue> FieldHistory { get; init; }
    public required IReadOnlyList<LabelRecord> Labels { get; init; }
    public required IReadOnlyList<NearDuplicateLink> NearDuplicates { get; init; }
    /// <summary>Smallest image id of the near-duplicate cluster, or null when the image has none.</summary>
    public string? NearDuplicateClusterId { get; init; }

    public FieldValue? Effective(string field) => FieldResolution.Effective(FieldHistory, field);
}

/// <summary>A line of an image listing: the record plus its effective set id and date.</summary>
public sealed record ImageSummary
{
    public required ImageRecord Image { get; init; }
    public string? OriginalFileName { get; init; }
    public string? Source { get; init; }
    public FieldValue? SetId { get; init; }
    public FieldValue? DateTaken { get; init; }
    public IReadOnlyList<string> LabelHints { get; init; } = [];
    public string? NearDuplicateClusterId { get; init; }
}

public static class FieldResolution
{
    /// <summary>The most trusted value wins; among equally trusted ones the latest.</summary>
    public static FieldValue? Effective(IEnumerable<FieldValue> history, string field) =>
        history.Where(f => f.Field == field)
            .OrderByDescending(f => f.Provenance.Trust())
            .ThenByDescending(f => f.RecordedAt)
            .FirstOrDefault();
}

public sealed record ImageQuery
{
    public string? Source { get; init; }
    public ImageKind? Kind { get; init; }
    public int Limit { get; init; } = int.MaxValue;
    public int Offset { get; init; }
}
