using System.Text.RegularExpressions;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Cli;

/// <summary>`--help` of every command, read as a user reads it, against the README: each command the
/// program has is in the README, each command and option the README uses is in the program.</summary>
public sealed partial class HelpTests
{
    private static readonly Lazy<Task<Dictionary<string, string>>> AllHelp = new(ReadAllHelpAsync);

    private static string Readme => File.ReadAllText(Repository.File("README.md"));

    [Fact]
    public async Task Help_Root_ListsEveryCommandAndTheGlobalOptions()
    {
        var help = await AllHelp.Value;

        foreach (var option in new[] { "--workspace", "--json", "--verbose", "--help", "--version" })
            Assert.Contains(option, help[""]);
        foreach (var command in new[] { "init", "ingest", "crawl", "detect", "images", "status", "extract", "splits", "manifests", "augment", "train", "train-all",
                     "skills", "eval", "promote", "report", "healthcheck", "demo", "serve", "users", "crowd", "api-keys" })
            Assert.Contains(command, Subcommands(help[""]));
    }

    [Fact]
    public async Task Help_EveryCommand_HasADescriptionAndJsonOutput()
    {
        var help = await AllHelp.Value;

        Assert.True(help.Count > 40, $"only {help.Count} help pages were read");
        foreach (var (command, text) in help.Where(h => h.Key.Length > 0))
        {
            var description = text.Split("Description:", 2)[1].Split("Usage:", 2)[0].Trim();
            Assert.True(description.Length > 10, $"`{command} --help` has no real description");
            Assert.Matches(OptionPattern("--json"), text);
        }
    }

    [Fact]
    public async Task Readme_CommandsAndHelp_NameTheSameCommands()
    {
        var help = await AllHelp.Value;
        var readme = Readme;
        var named = Invocations(readme).Select(i => i.Command).ToHashSet();
        var top = Subcommands(help[""]);

        foreach (var command in top) Assert.True(named.Contains(command), $"`{command}` is a command but the README never shows `./skillmaker {command}`");
        foreach (var command in named) Assert.True(top.Contains(command), $"the README shows `./skillmaker {command}`, which `./skillmaker --help` does not list");
        foreach (var command in top)
        {
            var subs = Subcommands(help[command]);
            foreach (var sub in subs) Assert.True(readme.Contains($"{command} {sub}", StringComparison.Ordinal), $"the README never mentions `{command} {sub}`");
            foreach (var (_, used, _) in Invocations(readme).Where(i => i.Command == command && subs.Count > 0))
                Assert.True(used is not null && subs.Contains(used), $"the README shows `./skillmaker {command} {used}`, but `{command} --help` lists only {string.Join(", ", subs)}");
        }
    }

    [Fact]
    public async Task Readme_OptionsInCommandLines_AppearInThatCommandsHelp()
    {
        var help = await AllHelp.Value;
        var checkedOptions = 0;

        foreach (var (command, sub, tail) in Invocations(Readme))
        {
            var key = sub is not null && help.ContainsKey($"{command} {sub}") ? $"{command} {sub}" : command;
            foreach (Match option in OptionInText().Matches(tail))
            {
                Assert.True(OptionPattern(option.Value).IsMatch(help[key]), $"the README uses `./skillmaker {key} ... {option.Value}`, which `{key} --help` does not list");
                checkedOptions++;
            }
        }
        Assert.True(checkedOptions > 20, $"only {checkedOptions} options found in the README's command lines");
    }

    [Fact]
    public void Readme_Start_IsTheTwoSetUpCommands()
    {
        var lines = Readme.Split('\n');
        var first = Array.FindIndex(lines, l => l.StartsWith("```", StringComparison.Ordinal));
        var block = lines.Skip(first + 1).TakeWhile(l => !l.StartsWith("```", StringComparison.Ordinal)).Select(l => l.Split('#')[0].Trim()).ToList();

        Assert.Equal("# Skillmaker", lines[0]);
        Assert.True(lines.Take(first).All(l => l.Length == 0 || l.StartsWith('#')), "nothing comes before the two commands but the title");
        Assert.Equal(new[] { "./skillmaker demo", "./run-tests" }, block);
        Assert.DoesNotContain("in progress", Readme, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cannot run yet", Readme, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every `./skillmaker COMMAND [SUB] TAIL` in the text; the tail ends at a backtick, a table
    /// cell, a shell comment or the end of the line.</summary>
    private static IEnumerable<(string Command, string? Sub, string Tail)> Invocations(string text) =>
        Invocation().Matches(text).Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null, m.Groups[3].Value));

    [GeneratedRegex(@"\./skillmaker ([a-z][a-z-]*)(?: ([a-z][a-z-]*)(?![\w./@-]))?([^`|#\n]*)")]
    private static partial Regex Invocation();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]*")]
    private static partial Regex OptionInText();

    private static Regex OptionPattern(string option) => new($@"(?<![\w-]){Regex.Escape(option)}(?![\w-])");

    /// <summary>The names under "Commands:" of a help page.</summary>
    private static List<string> Subcommands(string help)
    {
        var lines = help.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
        return start < 0 ? [] : [.. lines.Skip(start + 1).TakeWhile(l => l.Trim().Length > 0).Select(l => l.Trim().Split(' ')[0])];
    }

    /// <summary>"" → root help, "crowd" → `crowd --help`, "crowd queue" → `crowd queue --help`, for the whole tree.</summary>
    private static async Task<Dictionary<string, string>> ReadAllHelpAsync()
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Queue<string>([""]);
        while (pending.TryDequeue(out var path))
        {
            var args = path.Length == 0 ? new[] { "--help" } : [.. path.Split(' '), "--help"];
            var result = await CliRunner.RunAsync("/", args);
            Assert.True(result.ExitCode == 0, $"`{path} --help` exited {result.ExitCode}: {result.Error}");
            pages[path] = result.Out;
            foreach (var sub in Subcommands(result.Out)) pending.Enqueue(path.Length == 0 ? sub : $"{path} {sub}");
        }
        return pages;
    }
}
