using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Vision.Augmentation;
using Skillmaker.Vision.Imaging;
using SkiaSharp;

namespace Skillmaker.Augmentation;

/// <summary>What to preview: a definition's augmentations on <paramref name="Count"/> of its images,
/// <paramref name="Copies"/> augmented copies each, written as augment-preview.png into <paramref name="OutputDirectory"/>.</summary>
public sealed record AugmentPreviewRequest(DatasetDefinition Definition, int Count, int Copies, string OutputDirectory);

public sealed record AugmentPreviewResult(string Path, int Images, int Copies, IReadOnlyList<AugmentationStep> Steps);

/// <summary>A contact sheet of originals beside their augmented copies, for people to check the settings
/// before training. The same seed picks the same images and makes the same copies.</summary>
public sealed class AugmentPreviewService(IDatasetStore store, IBlobStore blobs, long seed, string catalogLocation)
{
    public async Task<AugmentPreviewResult> WriteAsync(AugmentPreviewRequest request, CancellationToken cancellationToken)
    {
        var errors = new List<SettingError>();
        if (request.Count is < 1 or > 100) errors.Add(new("count", $"is {request.Count}; expected 1..100 images"));
        if (request.Copies is < 1 or > 20) errors.Add(new("copies", $"is {request.Copies}; expected 1..20 copies per image"));
        if (errors.Count > 0) throw new InvalidSettingException(null, errors);
        var definition = request.Definition;
        var steps = definition.Augmentations ?? AugmentationSteps.Defaults;
        var augmenter = new Augmenter(steps);
        var candidates = (await store.GetCandidatesAsync(definition.ImageKind, cancellationToken))
            .Where(c => !c.Rejected)
            .OrderBy(c => SplitAssigner.Hash(seed, "preview:" + c.ImageId)).Take(request.Count).ToList();
        if (candidates.Count == 0)
            throw new SkillmakerException($"No {definition.ImageKind.ToString().ToLowerInvariant()} images in {catalogLocation} to preview; ingest (and detect) first.");

        var bitmaps = new List<SKBitmap>();
        var made = new List<SKBitmap>();
        try
        {
            foreach (var c in candidates)
                bitmaps.Add(ImageDecoding.DecodeOriented(await blobs.ReadAllBytesAsync(c.ImageId, cancellationToken), $"image {c.ImageId}"));
            var rows = new List<(string, IReadOnlyList<SKBitmap>)>();
            for (var i = 0; i < candidates.Count; i++)
            {
                // Copy-paste takes its object from the next image, so the sheet shows that step too.
                var donor = bitmaps[(i + 1) % bitmaps.Count];
                var cells = new List<SKBitmap> { bitmaps[i] };
                for (var k = 0; k < request.Copies; k++)
                {
                    var copy = augmenter.Apply(new AugmentSource(bitmaps[i]), seed, candidates[i].ImageId, k, donor);
                    made.Add(copy);
                    cells.Add(copy);
                }
                var label = candidates[i].ConfirmedLabel ?? (candidates[i].LabelHints.Count > 0 ? candidates[i].LabelHints[0] : "(no label)");
                rows.Add(($"{candidates[i].ImageId[..12]}  {label}", cells));
            }
            using var sheet = ContactSheet.Render(rows);
            Directory.CreateDirectory(request.OutputDirectory);
            var path = Path.Combine(request.OutputDirectory, "augment-preview.png");
            await AtomicFile.WriteAllBytesAsync(path, ImageDecoding.EncodePng(sheet), cancellationToken);
            return new AugmentPreviewResult(path, candidates.Count, request.Copies, steps);
        }
        finally
        {
            foreach (var b in bitmaps.Concat(made)) b.Dispose();
        }
    }
}
