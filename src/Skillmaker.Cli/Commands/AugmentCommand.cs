using System.CommandLine;
using Skillmaker.Augmentation;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Storage;
using Skillmaker.Vision.Augmentation;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Cli.Commands;

/// <summary><c>augment preview DEF.json --out DIR</c>: a contact sheet of originals and augmented copies.</summary>
public static class AugmentCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var definition = new Argument<string>("DEF.json") { Description = "Dataset definition; its augmentations (or the defaults) are previewed" };
        var output = new Option<string>("--out") { Description = "Folder to write augment-preview.png into", Required = true, HelpName = "DIR" };
        var count = new Option<int>("--count") { Description = "Images to show (default 8)", DefaultValueFactory = _ => 8, HelpName = "N" };
        var copies = new Option<int>("--copies") { Description = "Augmented copies per image (default 5)", DefaultValueFactory = _ => 5, HelpName = "K" };
        count.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100) r.AddError("--count must be between 1 and 100"); });
        copies.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 20) r.AddError("--copies must be between 1 and 20"); });
        var preview = new Command("preview", "Render originals and augmented copies side by side, for people to check the settings") { definition, output, count, copies };
        preview.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var def = await DatasetDefinitionLoader.LoadAsync(run.ResolvePath(parse.GetValue(definition)!), ct);
            var steps = def.Augmentations ?? AugmentationSteps.Defaults;
            var augmenter = new Augmenter(steps);
            await using var line = await run.OpenLineAsync(ct);
            var seed = line.Workspace.Config.Seed;
            var candidates = (await line.DatasetStore.GetCandidatesAsync(def.ImageKind, ct))
                .Where(c => !c.Rejected)
                .OrderBy(c => SplitAssigner.Hash(seed, "preview:" + c.ImageId)).Take(parse.GetValue(count)).ToList();
            if (candidates.Count == 0)
                throw new SkillmakerException($"No {def.ImageKind.ToString().ToLowerInvariant()} images in {line.Catalog.Location} to preview; ingest (and detect) first.");

            var bitmaps = new List<SkiaSharp.SKBitmap>();
            try
            {
                foreach (var c in candidates)
                    bitmaps.Add(ImageDecoding.DecodeOriented(await line.Blobs.ReadAllBytesAsync(c.ImageId, ct), $"image {c.ImageId}"));
                var rows = new List<(string, IReadOnlyList<SkiaSharp.SKBitmap>)>();
                var made = new List<SkiaSharp.SKBitmap>();
                for (var i = 0; i < candidates.Count; i++)
                {
                    var donor = bitmaps[(i + 1) % bitmaps.Count];
                    var cells = new List<SkiaSharp.SKBitmap> { bitmaps[i] };
                    for (var k = 0; k < parse.GetValue(copies); k++)
                    {
                        var copy = augmenter.Apply(new AugmentSource(bitmaps[i]), seed, candidates[i].ImageId, k, donor);
                        made.Add(copy);
                        cells.Add(copy);
                    }
                    var label = candidates[i].ConfirmedLabel ?? (candidates[i].LabelHints.Count > 0 ? candidates[i].LabelHints[0] : "(no label)");
                    rows.Add(($"{candidates[i].ImageId[..12]}  {label}", cells));
                }
                using var sheet = ContactSheet.Render(rows);
                var outDir = run.ResolvePath(parse.GetValue(output)!);
                Directory.CreateDirectory(outDir);
                var path = Path.Combine(outDir, "augment-preview.png");
                await AtomicFile.WriteAllBytesAsync(path, ImageDecoding.EncodePng(sheet), ct);
                foreach (var m in made) m.Dispose();
                if (run.IsJson) run.WriteJson(new { path, images = candidates.Count, copies = parse.GetValue(copies), steps = steps.Select(s => s.Op) });
                else run.Host.Out.WriteLine($"Wrote {path}: {candidates.Count} images x {parse.GetValue(copies)} copies ({string.Join(", ", steps.Select(s => $"{s.Op} p={s.P}"))})");
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var b in bitmaps) b.Dispose();
            }
        }));
        var command = new Command("augment", "Augmentation tools");
        command.Subcommands.Add(preview);
        return command;
    }
}
