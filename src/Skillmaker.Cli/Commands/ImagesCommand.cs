using System.CommandLine;
using Spectre.Console;
using Skillmaker.Catalog;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Review;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker images list|show</c>: what the catalog holds.</summary>
public static class ImagesCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var command = new Command("images", "List and inspect catalogued images");
        command.Subcommands.Add(List(host, options));
        command.Subcommands.Add(Show(host, options));
        command.Subcommands.Add(Attribute(host, options));
        return command;
    }

    private static Command Attribute(CliHost host, GlobalOptions options)
    {
        var command = new Command("attribute",
            "Decide again which crop is each photo's subject (detector.subject settings): a photo's label goes to its subject only. " +
            "Fixes crops cut before attribution existed; sticky splits are not touched");
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var s = await line.Attribution().RunAsync(onlyMissing: false, ct);
            if (run.IsJson)
            {
                run.WriteJson(new { photos = s.Photos, crops = s.Crops, subjects = s.Subjects, background = s.Background, ambiguousPhotos = s.AmbiguousPhotos, changed = s.Changed, settings = s.Settings });
                return ExitCodes.Ok;
            }
            run.Console.WriteLine($"{s.Photos} photos, {s.Crops} crops: {s.Subjects} subjects carry their photo's labels, {s.Background} background crops do not " +
                $"({s.AmbiguousPhotos} photos without a clear subject); {s.Changed} attributions new or changed.");
            run.Console.WriteLine($"Rule subject: centreWeight {s.Settings.CentreWeight}, dominance {s.Settings.Dominance}, minPhotoShare {s.Settings.MinPhotoShare} (detector.subject in the workspace config).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CliHost host, GlobalOptions options)
    {
        var source = new Option<string?>("--source") { Description = "Only images seen from this source", HelpName = "NAME" };
        var kind = new Option<ImageKind?>("--kind") { Description = "original or crop" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default: all)", DefaultValueFactory = _ => int.MaxValue, HelpName = "N" };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() <= 0) r.AddError("--limit must be a positive number"); });
        var command = new Command("list", "List images with their source, set, date and label hints") { source, kind, limit };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var images = await line.Catalog.ListImagesAsync(new ImageQuery { Source = parse.GetValue(source), Kind = parse.GetValue(kind), Limit = parse.GetValue(limit) }, ct);
            if (run.IsJson)
            {
                run.WriteJson(new { count = images.Count, images = images.Select(ToJson) });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Id", "File", "Source", "Size", "Set", "Taken", "Hints", "Near-dup");
            foreach (var i in images)
                table.AddRow(
                    TerminalText.Escape(i.Image.Id[..12]),
                    TerminalText.Escape(i.OriginalFileName ?? ""),
                    TerminalText.Escape(i.Source ?? ""),
                    $"{i.Image.Width}x{i.Image.Height}",
                    TerminalText.Escape(i.SetId?.Value ?? ""),
                    TerminalText.Escape(i.DateTaken is { } d ? $"{d.Value} ({d.Provenance.ToWire()})" : ""),
                    TerminalText.Escape(string.Join(", ", i.LabelHints)),
                    TerminalText.Escape(i.NearDuplicateClusterId?[..12] ?? ""));
            run.Console.Write(table);
            run.Console.WriteLine($"{images.Count} images");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(CliHost host, GlobalOptions options)
    {
        var id = new Argument<string>("ID") { Description = "Image id (sha256) or a unique prefix of at least 6 characters" };
        var command = new Command("show", "Everything known about one image, with provenance") { id };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var wanted = parse.GetValue(id)!.Trim().ToLowerInvariant();
            if (wanted.Length < 6 || !wanted.All(Uri.IsHexDigit))
                throw new UsageException($"'{wanted}' is not an image id; expected a sha256 in hex, or a unique prefix of at least 6 hex characters.");
            var matches = await line.Catalog.FindImageIdsByPrefixAsync(wanted, 5, ct);
            var details = matches.Count switch
            {
                0 => throw new SkillmakerException($"No image with id {wanted} in {line.Catalog.Location}."),
                1 => await line.Catalog.GetImageAsync(matches[0], ct),
                _ => throw new SkillmakerException($"Id prefix {wanted} is ambiguous: {string.Join(", ", matches)}; give more characters."),
            };
            var attribution = details!.Image.Kind == ImageKind.Crop ? await line.DetectionStore.GetAttributionAsync(details.Image.Id, ct) : null;
            var photoLabels = details.Image.ParentId is { } parent ? (await line.Catalog.GetImageAsync(parent, ct))?.Labels ?? [] : [];
            // An undone review decision stays in the history but must not look current.
            var retractions = await line.ReviewStore.GetRetractionsAsync(details.Image.Id, ct);
            if (run.IsJson)
            {
                run.WriteJson(ToJson(details, attribution, photoLabels, retractions));
                return ExitCodes.Ok;
            }
            Render(run, details, attribution, photoLabels, retractions);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static object ToJson(ImageSummary i) => new
    {
        id = i.Image.Id,
        kind = i.Image.Kind,
        originalFileName = i.OriginalFileName,
        source = i.Source,
        width = i.Image.Width,
        height = i.Image.Height,
        format = i.Image.Format,
        setId = Field(i.SetId),
        dateTaken = Field(i.DateTaken),
        labelHints = i.LabelHints,
        nearDuplicateCluster = i.NearDuplicateClusterId,
        ingestedAt = i.Image.IngestedAt,
    };

    /// <summary>For each label record, the retraction that undid it (records equal in every field are
    /// matched one to one, in order).</summary>
    private static IReadOnlyList<LabelRetraction?> RetractionOf(ImageDetails d, IReadOnlyList<LabelRetraction> retractions)
    {
        var left = retractions.ToList();
        return [.. d.Labels.Select(l =>
        {
            var i = left.FindIndex(r => r.Label == l);
            if (i < 0) return null;
            var r = left[i];
            left.RemoveAt(i);
            return r;
        })];
    }

    private static object ToJson(ImageDetails d, CropAttribution? a, IReadOnlyList<LabelRecord> photoLabels, IReadOnlyList<LabelRetraction> retractions)
    {
        var undone = RetractionOf(d, retractions);
        return new
        {
        id = d.Image.Id,
        kind = d.Image.Kind,
        parentId = d.Image.ParentId,
        byteSize = d.Image.ByteSize,
        format = d.Image.Format,
        width = d.Image.Width,
        height = d.Image.Height,
        exifOrientation = d.Image.ExifOrientation,
        perceptualHash = d.Image.PerceptualHash.ToString("x16"),
        ingestedAt = d.Image.IngestedAt,
        setId = Field(d.Effective(Fields.SetId)),
        dateTaken = Field(d.Effective(Fields.DateTaken)),
        occurrences = d.Occurrences.Select(o => new { source = o.Source, originalPath = o.OriginalPath, originalFileName = o.OriginalFileName, runId = o.RunId, seenAt = o.SeenAt }),
        fieldHistory = d.FieldHistory.Select(Field),
        labels = d.Labels.Select((l, i) => new
        {
            label = l.Label, status = l.Status, provenance = l.Provenance.ToWire(), actor = l.Actor, recordedAt = l.RecordedAt,
            retracted = undone[i] is { } r ? new { actor = r.Actor, recordedAt = r.RecordedAt } : null,
        }),
        nearDuplicates = d.NearDuplicates.Select(n => new { imageId = n.OtherImageId, distance = n.Distance }),
        nearDuplicateCluster = d.NearDuplicateClusterId,
        attribution = a is null ? null : new
        {
            attributedFrom = CropAttribution.FromPhoto, rule = a.Rule, subject = a.Subject, reason = a.Reason, photoId = a.ParentId,
            photoLabels = a.Subject ? photoLabels.Where(l => l.Status == LabelStatus.Hint).Select(l => l.Label).Distinct() : [],
            withheldPhotoLabels = a.Subject ? [] : photoLabels.Where(l => l.Status == LabelStatus.Hint).Select(l => l.Label).Distinct(),
            detectorModel = a.ModelSha256, settings = System.Text.Json.JsonDocument.Parse(a.SettingsJson).RootElement, decidedAt = a.DecidedAt,
        },
        };
    }

    private static object? Field(FieldValue? f) => f is null ? null : new { field = f.Field, value = f.Value, provenance = f.Provenance.ToWire(), actor = f.Actor, recordedAt = f.RecordedAt };

    private static void Render(CommandRun run, ImageDetails d, CropAttribution? a, IReadOnlyList<LabelRecord> photoLabels, IReadOnlyList<LabelRetraction> retractions)
    {
        var undone = RetractionOf(d, retractions);
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => grid.AddRow(TerminalText.Escape(k), TerminalText.Escape(v));
        Row("id", d.Image.Id);
        Row("kind", d.Image.Kind.ToString().ToLowerInvariant() + (d.Image.ParentId is { } p ? $" of {p}" : ""));
        Row("format", $"{d.Image.Format}, {d.Image.Width}x{d.Image.Height}, {d.Image.ByteSize:N0} bytes, EXIF orientation {d.Image.ExifOrientation}");
        Row("perceptual hash", d.Image.PerceptualHash.ToString("x16"));
        Row("ingested", d.Image.IngestedAt.ToString("u"));
        Row("set id", d.Effective(Fields.SetId) is { } s ? $"{s.Value} ({s.Provenance.ToWire()}, {s.Actor})" : "(none)");
        Row("date taken", d.Effective(Fields.DateTaken) is { } t ? $"{t.Value} ({t.Provenance.ToWire()}, {t.Actor})" : "(unknown)");
        run.Console.Write(grid);
        run.Console.WriteLine("Seen at:");
        foreach (var o in d.Occurrences) run.Console.WriteLine($"  {o.Source}: {o.OriginalPath} ({o.SeenAt:u}, {o.RunId})");
        run.Console.WriteLine("Labels:");
        foreach (var (l, i) in d.Labels.Select((l, i) => (l, i)))
            run.Console.WriteLine(undone[i] is { } r
                ? $"  undone: {l.Status.ToString().ToLowerInvariant()} {l.Label} ({l.Provenance.ToWire()}, {l.Actor}, {l.RecordedAt:u}; undone by {r.Actor}, {r.RecordedAt:u}; no longer counts)"
                : $"  {l.Status.ToString().ToLowerInvariant()} {l.Label} ({l.Provenance.ToWire()}, {l.Actor}, {l.RecordedAt:u})");
        if (d.Labels.Count == 0) run.Console.WriteLine("  (none)");
        if (d.Image.Kind == ImageKind.Crop)
        {
            var hints = photoLabels.Where(l => l.Status == LabelStatus.Hint).Select(l => $"{l.Label} ({l.Provenance.ToWire()}, {l.Actor})").Distinct().ToList();
            var photo = hints.Count == 0 ? "the photo has no label hint" : $"the photo's label {string.Join(", ", hints)}";
            run.Console.WriteLine(a is null
                ? $"Label attribution: not attributed yet (images attribute); {photo}"
                : a.Subject
                    ? $"Label attribution: attributedFrom photo, rule {a.Rule}: {a.Reason}; carries {photo}"
                    : $"Label attribution: attributedFrom photo, rule {a.Rule}: {a.Reason}; does not carry {photo}");
        }
        run.Console.WriteLine("Field history:");
        foreach (var f in d.FieldHistory) run.Console.WriteLine($"  {f.Field} = {f.Value} ({f.Provenance.ToWire()}, {f.Actor}, {f.RecordedAt:u})");
        if (d.NearDuplicates.Count > 0)
        {
            run.Console.WriteLine($"Near-duplicates (cluster {d.NearDuplicateClusterId}):");
            foreach (var n in d.NearDuplicates) run.Console.WriteLine($"  {n.OtherImageId} (distance {n.Distance})");
        }
    }
}
