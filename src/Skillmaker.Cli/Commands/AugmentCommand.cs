using System.CommandLine;
using Skillmaker.Augmentation;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Datasets;

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
            await using var line = await run.OpenLineAsync(ct);
            var result = await run.WithProgressAsync("Augment preview", async p =>
            {
                var written = await line.AugmentPreview().WriteAsync(new AugmentPreviewRequest(def, parse.GetValue(count), parse.GetValue(copies), run.ResolvePath(parse.GetValue(output)!)), ct);
                p.Report((1, 1));
                return written;
            });
            if (run.IsJson) run.WriteJson(new { path = result.Path, images = result.Images, copies = result.Copies, steps = result.Steps.Select(s => s.Op) });
            else run.Host.Out.WriteLine($"Wrote {result.Path}: {result.Images} images x {result.Copies} copies ({string.Join(", ", result.Steps.Select(s => $"{s.Op} p={s.P}"))})");
            return ExitCodes.Ok;
        }));
        var command = new Command("augment", "Augmentation tools");
        command.Subcommands.Add(preview);
        return command;
    }
}
