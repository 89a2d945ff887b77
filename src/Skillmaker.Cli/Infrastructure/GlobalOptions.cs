using System.CommandLine;

namespace Skillmaker.Cli.Infrastructure;

/// <summary>Options every command takes. A fresh set per parser: an option belongs to one tree.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Workspace { get; } = new("--workspace", "-w")
    {
        Description = $"Workspace folder (default: ${Workspaces.Workspace.EnvironmentVariable}, else the current folder or its nearest parent with a .skillmaker folder)",
        Recursive = true,
        HelpName = "DIR",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print exactly one JSON object on stdout instead of tables",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log details to stderr",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Workspace);
        root.Options.Add(Json);
        root.Options.Add(Verbose);
    }
}
