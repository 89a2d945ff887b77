using System.Globalization;
using Skillmaker.Catalog;
using Skillmaker.Storage;

namespace Skillmaker.Tests.Workers;

/// <summary>Everything a catalog says about its images and detections, one line per fact, without what
/// differs between two runs of the same work by nature (times, run ids).</summary>
internal static class CatalogSnapshot
{
    public static async Task<IReadOnlyList<string>> TakeAsync(ICatalog catalog)
    {
        var lines = new List<string>();
        var images = await catalog.ListImagesAsync(new ImageQuery(), CancellationToken.None);
        foreach (var id in images.Select(i => i.Image.Id).Order(StringComparer.Ordinal))
        {
            var d = (await catalog.GetImageAsync(id, CancellationToken.None))!;
            var i = d.Image;
            lines.Add($"image {i.Id} {i.Kind} parent={i.ParentId} {i.ByteSize} bytes {i.Format} {i.Width}x{i.Height} orientation={i.ExifOrientation} phash={i.PerceptualHash:x16} cluster={d.NearDuplicateClusterId}");
            lines.AddRange(d.Occurrences.Select(o => $"  seen {o.Source} {o.OriginalPath} as {o.OriginalFileName}").Order(StringComparer.Ordinal));
            lines.AddRange(d.FieldHistory.Select(f => $"  field {f.Field}={f.Value} ({f.Provenance}, {f.Actor})").Order(StringComparer.Ordinal));
            lines.AddRange(d.Labels.Select(l => $"  label {l.Label} {l.Status} ({l.Provenance}, {l.Actor})").Order(StringComparer.Ordinal));
            lines.AddRange(d.NearDuplicates.Select(n => $"  near {n.OtherImageId} at {n.Distance}").Order(StringComparer.Ordinal));
        }
        foreach (var r in await WorkspaceStorage.OpenDetectionStore(catalog).ListResultsAsync(null, CancellationToken.None))
        {
            lines.Add($"detect {r.ImageId} model {r.ModelSha256[..12]} {r.Outcome} vehicles={r.VehicleCount} error={r.Error}");
            lines.AddRange(r.Detections.Select(x =>
                $"  #{x.Rank} {x.ClassId}:{x.ClassName} {F(x.Score)} box {F(x.Box.X1)},{F(x.Box.Y1)},{F(x.Box.X2)},{F(x.Box.Y2)} {x.Role} crop={x.CropRect} {x.CropId}"));
        }
        return lines;
    }

    // Round-trip precision: equal means bit-equal.
    private static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
