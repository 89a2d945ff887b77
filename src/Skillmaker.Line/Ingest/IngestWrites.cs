using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Imaging;
using Skillmaker.Workspaces;

namespace Skillmaker.Ingest;

/// <summary>A file's bytes, or why they were not read.</summary>
public readonly record struct FileRead(byte[]? Bytes, RejectReason? Rejection);

/// <summary>A file's catalog write, or why the file was refused.</summary>
public readonly record struct PreparedWrite(IngestWrite? Write, RejectReason? Rejection);

/// <summary>The steps of ingesting one file, shared by the in-process run (<see cref="IngestService"/>) and
/// the batch jobs (<see cref="IngestJobs"/>), so both record exactly the same things.</summary>
public static class IngestWrites
{
    /// <summary>Reads a file unless it is missing, a dangling link, empty or over the size limit.</summary>
    public static async Task<FileRead> ReadFileAsync(string path, IngestSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (IngestPlanner.IsDanglingLink(path)) return Refuse(RejectCode.Unreadable, IngestPlanner.DanglingLinkReason);
            if (!info.Exists) return Refuse(RejectCode.NotFound, "file does not exist");
            if (info.Length == 0) return Refuse(RejectCode.Empty, "empty file (0 bytes)");
            if (info.Length > settings.MaxFileBytes)
                return Refuse(RejectCode.TooLarge, $"file is {info.Length:N0} bytes, over the limit of {settings.MaxFileBytes:N0} (ingest.maxFileBytes)");
            return new FileRead(await File.ReadAllBytesAsync(path, cancellationToken), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Refuse(RejectCode.Unreadable, $"unreadable: {ex.Message}");
        }

        static FileRead Refuse(RejectCode code, string message) => new(null, new RejectReason(code, message));
    }

    /// <summary>What a file whose bytes the catalog already has adds: its occurrence and what its source says.</summary>
    public static IngestWrite Known(IngestItem item, string imageId, string runId, DateTimeOffset now) => new()
    {
        ImageId = imageId,
        Occurrence = Occurrence(item, imageId, runId, now),
        Fields = GivenFields(item, imageId, now),
        Labels = GivenLabels(item, imageId, now),
    };

    /// <summary>Measures new bytes and builds their write, or the reason they are refused. Stores nothing.</summary>
    public static PreparedWrite Measure(IngestItem item, ReadOnlySpan<byte> bytes, string imageId, string runId, IImageProbe probe, IngestSettings settings, DateTimeOffset now)
    {
        var probed = probe.Probe(bytes, new ImageProbeOptions { MaxPixels = settings.MaxPixels });
        if (probed.Rejection is { } rejection) return new PreparedWrite(null, rejection);
        var image = probed.Image!;
        var fields = GivenFields(item, imageId, now);
        if (image.ExifDateTaken is { } exifDate)
            fields.Add(Field(imageId, Fields.DateTaken, exifDate, Provenance.Exif, "exif", now));
        if (item.GivenSetId is null)
            fields.Add(Field(imageId, Fields.SetId, $"single:{imageId[..16]}", Provenance.System, "ingest", now));
        var record = new ImageRecord
        {
            Id = imageId,
            Kind = ImageKind.Original,
            ByteSize = bytes.Length,
            Format = ImageFormatSniffer.Name(image.Format),
            Width = image.Width,
            Height = image.Height,
            ExifOrientation = image.ExifOrientation,
            PerceptualHash = image.PerceptualHash,
            IngestedAt = now,
        };
        return new PreparedWrite(new IngestWrite
        {
            ImageId = imageId, NewImage = record, Occurrence = Occurrence(item, imageId, runId, now), Fields = fields, Labels = GivenLabels(item, imageId, now),
        }, null);
    }

    private static ImageOccurrence Occurrence(IngestItem item, string imageId, string runId, DateTimeOffset now) => new()
    {
        ImageId = imageId,
        Source = item.Source,
        OriginalPath = item.Path,
        OriginalFileName = item.FileName ?? Path.GetFileName(item.Path),
        RunId = runId,
        SeenAt = now,
    };

    private static List<FieldValue> GivenFields(IngestItem item, string imageId, DateTimeOffset now)
    {
        var fields = new List<FieldValue>();
        if (item.GivenSetId is { } setId) fields.Add(Field(imageId, Fields.SetId, setId, Provenance.Source, item.Actor, now));
        if (item.GivenDateTaken is { } date) fields.Add(Field(imageId, Fields.DateTaken, date, Provenance.Source, item.Actor, now));
        foreach (var (field, value) in item.GivenFields) fields.Add(Field(imageId, field, value, Provenance.Source, item.Actor, now));
        return fields;
    }

    /// <summary>Refuses a photo whose label hint is no valid label name: it could never be confirmed in
    /// review, and markup or terminal escapes have no place in the catalog.</summary>
    public static RejectReason? LabelRefusal(IngestItem item) =>
        item.GivenLabel is { } label && LabelNames.Problem(label) is { } problem ? new RejectReason(RejectCode.InvalidLabel, problem) : null;

    private static List<LabelRecord> GivenLabels(IngestItem item, string imageId, DateTimeOffset now) =>
        item.GivenLabel is { } label
            ? [new LabelRecord { ImageId = imageId, Label = label, Status = LabelStatus.Hint, Provenance = Provenance.Source, Actor = item.LabelActor ?? item.Actor, RecordedAt = now }]
            : [];

    private static FieldValue Field(string id, string field, string value, Provenance provenance, string actor, DateTimeOffset at) =>
        new() { ImageId = id, Field = field, Value = value, Provenance = provenance, Actor = actor, RecordedAt = at };
}
