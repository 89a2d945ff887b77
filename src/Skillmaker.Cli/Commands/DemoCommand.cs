using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Spectre.Console;
using Skillmaker.Demo;
using Skillmaker.Host;
using Skillmaker.Server;
using Skillmaker.Serving;
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
            Description = $"Folder with the demo's models and photos: cars/, scenes/, {Detection.DetectorSetup.DefaultModelInAssets}, {DemoAssets.BackboneInAssets} (default: ${AssetLocator.EnvironmentVariable}, then ../shared/assets beside the repository)",
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
            var result = await new DemoRunner(new CommandDemoHost(run), run.LineContext, found).RunAsync(folder, ct);
            if (run.IsJson) run.WriteJson(result);
            else DemoOutput.Render(run, result);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>The demo's progress bars and stage lines on this command's consoles, and the real server.</summary>
internal sealed class CommandDemoHost(CommandRun run) : IDemoHost
{
    public Task<T> WithProgressAsync<T>(string title, Func<IProgress<(int Done, int Total)>, Task<T>> work) => run.WithProgressAsync(title, work);

    public Task<T> WithStagesAsync<T>(Func<IProgress<(string Stage, int Done, int Total)>, Task<T>> work) => run.WithStagesAsync(work);

    public void Say(string text)
    {
        if (!run.IsJson) run.Console.WriteLine(text);
    }

    public void StageDone(string name, double seconds, string summary)
    {
        if (!run.IsJson) run.Console.SafeMarkupLine($"[green]done[/] [bold]{name}[/] ({seconds:0.0} s): {summary}");
    }

    public async Task<IDemoServer> StartServerAsync(LineServices line, InferenceSetup inference, CancellationToken cancellationToken) =>
        new Started(await SkillmakerServer.StartAsync(line, new ServerOptions { Urls = "http://127.0.0.1:0", Inference = inference }, cancellationToken));

    private sealed class Started(WebApplication app) : IDemoServer
    {
        public string Address { get; } = app.Addresses()[0];

        public IReadOnlyDictionary<string, int> ServedVersions { get; } = app.ServedVersions() ?? new Dictionary<string, int>();

        public Task StopAsync(CancellationToken cancellationToken) => app.StopAsync(cancellationToken);

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
