using Spectre.Console;
using System.CommandLine;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Storage;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker init [DIR]</c>: creates a workspace (catalog, blob folder, config with a seed).</summary>
public static class InitCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var dir = new Argument<string?>("DIR") { Description = "Folder to create the workspace in (default: --workspace, else the current folder)", Arity = ArgumentArity.ZeroOrOne };
        var seed = new Option<long?>("--seed") { Description = "Seed for everything random in this workspace (default: drawn at random)" };
        var command = new Command("init", "Create a workspace: .skillmaker/ with the catalog, blob store and config") { dir, seed };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var target = parse.GetValue(dir) is { } d ? run.ResolvePath(d) : run.WorkspacePath;
            var workspace = await Workspace.InitAsync(target, parse.GetValue(seed), ct);
            await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, ct);
            var blobs = WorkspaceStorage.OpenBlobs(workspace);
            var version = await catalog.GetSchemaVersionAsync(ct);
            if (run.IsJson)
                run.WriteJson(new { workspace = workspace.Root, config = workspace.ConfigPath, catalog = catalog.Location, blobs = blobs.Location, schemaVersion = version, seed = workspace.Config.Seed });
            else
                run.Console.WriteLine($"Created workspace {workspace.Root}\n  config   {workspace.ConfigPath}\n  catalog  {catalog.Location} (schema v{version})\n  blobs    {blobs.Location}\n  seed     {workspace.Config.Seed}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
