using System.CommandLine;
using Skillmaker.Cli.Demo;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker demo</c>: the whole line on the shared demo assets in a fresh workspace
/// (see <see cref="DemoRunner"/>).</summary>
public static class DemoCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var assets = new Option<string?>("--assets")
        {
            Description = $"Folder with the demo's models and photos: cars/, scenes/, {DetectCommand.DefaultModelInAssets}, {DemoAssets.BackboneInAssets} (default: ${AssetLocator.EnvironmentVariable}, then ../shared/assets beside the repository)",
            HelpName = "DIR",
        };
        var command = new Command("demo",
            $"Run the whole line on the demo photos in a fresh workspace (--workspace DIR, default ./{DemoWorkspace.DefaultFolder}): ingest, detect, crowd step, extract, train, evaluate, report, promote, serve and classify over HTTP, then list every artefact")
        {
            assets,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var found = DemoAssets.Locate(parse.GetValue(assets) is { } given ? run.ResolvePath(given) : null, run.Host.Environment, run.Host.CurrentDirectory, AppContext.BaseDirectory);
            // Only --workspace: a demo never runs in $SKILLMAKER_WORKSPACE, which may be someone's real workspace.
            var folder = parse.GetValue(options.Workspace) is { } w ? run.ResolvePath(w) : Path.Combine(run.Host.CurrentDirectory, DemoWorkspace.DefaultFolder);
            var result = await new DemoRunner(run, found).RunAsync(folder, ct);
            if (run.IsJson) run.WriteJson(result);
            else DemoOutput.Render(run, result);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
