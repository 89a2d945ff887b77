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

/// <summary>A contact sheet of originals beside their augmented copies, then a row with each step alone
/// (applied for sure), for people to check the settings before training. The same seed picks the same
/// images and makes the same copies. As in training, a crop's box step grows from its parent photo, and
/// copy-paste takes its patch from another image with the same label (none: no paste).</summary>
/// <param name="findCropOrigin">Where a crop was cut from; null: crops are augmented on their own pixels.</param>
public sealed class AugmentPreviewService(IDatasetStore store, IBlobStore blobs, long seed, string catalogLocation,
    Func<string, CancellationToken, Task<Detection.CropOrigin?>>? findCropOrigin = null)
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
            static string? LabelOf(DatasetCandidate c) => c.ConfirmedLabel ?? (c.LabelHints.Count > 0 ? c.LabelHints[0] : null);
            var rows = new List<(string, IReadOnlyList<SKBitmap>)>();
            for (var i = 0; i < candidates.Count; i++)
            {
                var label = LabelOf(candidates[i]);
                // Copy-paste takes its patch from the next previewed image with the same label, so it cannot change the label.
                var donorIndex = label is null ? -1 : Enumerable.Range(1, candidates.Count - 1).Select(d => (i + d) % candidates.Count).FirstOrDefault(d => LabelOf(candidates[d]) == label, -1);
                var donor = donorIndex >= 0 ? bitmaps[donorIndex] : null;
                SKBitmap? parent = null;
                SKRectI? box = null;
                if (findCropOrigin is not null && candidates[i].ParentId is not null && await findCropOrigin(candidates[i].ImageId, cancellationToken) is { } origin)
                {
                    parent = ImageDecoding.DecodeOriented(await blobs.ReadAllBytesAsync(origin.ParentId, cancellationToken), $"image {origin.ParentId}");
                    made.Add(parent);
                    box = new SKRectI(origin.Rect.X, origin.Rect.Y, origin.Rect.X + origin.Rect.Width, origin.Rect.Y + origin.Rect.Height);
                }
                var source = new AugmentSource(bitmaps[i], parent, box);
                var cells = new List<SKBitmap> { bitmaps[i] };
                for (var k = 0; k < request.Copies; k++)
                {
                    var copy = augmenter.Apply(source, seed, candidates[i].ImageId, k + 1, donor);
                    made.Add(copy);
                    cells.Add(copy);
                }
                rows.Add(($"{candidates[i].ImageId[..12]}  {label ?? "(no label)"}", cells));
                // Every step on its own, applied for sure, so each one's effect can be checked.
                var alone = new List<SKBitmap> { bitmaps[i] };
                foreach (var step in steps)
                {
                    var single = new Augmenter([step with { P = 1 }]).Apply(source, seed, candidates[i].ImageId, 1, donor);
                    made.Add(single);
                    alone.Add(single);
                }
                rows.Add(($"  each step alone: {string.Join(", ", steps.Select(s => s.Op))}{(donor is null && steps.Any(s => s.Op == "copy-paste") ? " (no same-label donor: copy-paste unchanged)" : "")}", alone));
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
