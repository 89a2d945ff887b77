using System.Text.RegularExpressions;
using Skillmaker.Host;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Host;

/// <summary>The layout's rules, read from the source as a reviewer would: one composition root, services
/// that never speak in command-line flags, a project per role, every job kind registered once.</summary>
public sealed partial class LayoutTests
{
    private static IEnumerable<(string Path, string Text)> Sources(string folder) =>
        Directory.EnumerateFiles(Repository.File(folder), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (Path.GetRelativePath(Repository.Root, p), File.ReadAllText(p)));

    [Fact]
    public void Sources_ServicesAndJobs_AreConstructedOnlyInLineHost()
    {
        var host = Path.Combine("src", "Skillmaker.Line", "Host") + Path.DirectorySeparatorChar;
        var offenders = Sources("src")
            .Where(s => !s.Path.StartsWith(host, StringComparison.Ordinal))
            .SelectMany(s => Construction().Matches(s.Text).Select(m => $"{s.Path}: {m.Value}"))
            .ToList();

        Assert.True(offenders.Count == 0, "services built outside Line/Host:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Sources_LineStages_NameNoCommandLineFlags()
    {
        // Generated deployment text (a Dockerfile, Kubernetes manifests) is the one place a flag belongs: the
        // container's command line (docker's own, the server's, a worker's).
        var offenders = Sources(Path.Combine("src", "Skillmaker.Line"))
            .Where(s => !s.Path.EndsWith("DeploymentConfig.cs", StringComparison.Ordinal) && !s.Path.EndsWith("KubernetesManifests.cs", StringComparison.Ordinal))
            .SelectMany(s => FlagLiteral().Matches(s.Text).Select(m => $"{s.Path}: {m.Value}"))
            .ToList();

        Assert.True(offenders.Count == 0, "flags in stage code (name the field; the CLI maps it):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Solution_SourceProjects_AreAtMostSevenWithOneHomePerRole()
    {
        var projects = Directory.GetDirectories(Repository.File("src")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["Skillmaker.Cli", "Skillmaker.Core", "Skillmaker.Line", "Skillmaker.Server", "Skillmaker.Storage", "Skillmaker.Vision", "Skillmaker.Workers"], projects);
        Assert.True(File.Exists(Repository.File(Path.Combine("src", "Skillmaker.Server", "Program.cs"))), "the server has its own entry point");
    }

    [Fact]
    public void JobKinds_Queues_NameEveryRegisteredKindOnceAndTheDefault()
    {
        Assert.Equal(JobKinds.Names.Count, JobKinds.Names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([.. JobKinds.Names, JobKinds.DefaultQueue], Skillmaker.Workers.WorkerOptions.AllQueues);
        Assert.Equal(["ingest", "detect", "embed", "train", "eval", "urls", "crawl", "extract", "report"], JobKinds.Names);
    }

    [Fact]
    public async Task JobKinds_HandlersFor_GivesAWorkingHandlerPerKindOverOneWorkspace()
    {
        await using var ws = await TestWorkspace.CreateAsync();

        var handlers = JobKinds.HandlersFor(ws.Line());

        Assert.Equal(JobKinds.Names.Order(StringComparer.Ordinal), handlers.Keys.Order(StringComparer.Ordinal));
        Assert.All(handlers, h => Assert.Contains(h.Key, h.Value.GetType().Name, StringComparison.OrdinalIgnoreCase));
        foreach (var handler in handlers.Values.OfType<IDisposable>()) handler.Dispose();
    }

    // `new IngestService(`, `new TrainJobs(`, ... (target-typed `new(` in a method named for a service is caught by review).
    [GeneratedRegex(@"\bnew\s+\w*(Service|Jobs)\s*\(")]
    private static partial Regex Construction();

    // A string literal that starts with a long option, e.g. "--source".
    [GeneratedRegex(@"""-{2}[a-z][a-z-]*")]
    private static partial Regex FlagLiteral();
}
