using System.CommandLine;
using System.Reflection;
using Skillmaker.Cli.Commands;
using Skillmaker.Common;

namespace Skillmaker.Cli.Infrastructure;

/// <summary>Builds the command tree and runs one command line, mapping outcomes to exit codes:
/// 0 done, 1 failed, 2 the command line is wrong.</summary>
public static class CliApp
{
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static RootCommand BuildRoot(CliHost host)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("Skillmaker: from raw photos to a gated, versioned, deployed image classifier.");
        options.AddTo(root);
        foreach (var command in new[]
        {
            InitCommand.Create(host, options),
            IngestCommand.Create(host, options),
            CrawlCommand.Create(host, options),
            DetectCommand.Create(host, options),
            ImagesCommand.Create(host, options),
            StatusCommand.Create(host, options),
            DatasetCommands.Extract(host, options),
            DatasetCommands.Splits(host, options),
            DatasetCommands.Manifests(host, options),
            AugmentCommand.Create(host, options),
            TrainCommands.Train(host, options),
            TrainCommands.TrainAll(host, options),
            SkillCommands.Skills(host, options),
            SkillCommands.Eval(host, options),
            CascadeEvalCommand.Create(host, options),
            SkillCommands.Promote(host, options),
            SkillCommands.Report(host, options),
            HealthcheckCommand.Create(host, options),
            DemoCommand.Create(host, options),
            ServeCommand.Create(host, options), UsersCommand.Create(host, options), CrowdCommand.Create(host, options),
            WorkerCommand.Create(host, options), JobsCommand.Create(host, options),
            ApiKeysCommand.Create(host, options),
            DeployCommand.Create(host, options),
            DoctorCommand.Create(host, options),
        })
            root.Subcommands.Add(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken)
    {
        var root = BuildRoot(host);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) host.Error.WriteLine($"error: {error.Message}");
            host.Error.WriteLine($"Run 'skillmaker {string.Join(' ', CommandPath(parse.CommandResult.Command))} --help' for usage.".Replace("  ", " ", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = host.Out,
            Error = host.Error,
            EnableDefaultExceptionHandler = false,
            // Ctrl-C cancels the command's token; it gets this long to finish the writes under way.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
        }, cancellationToken);
    }

    /// <summary>Wraps a command body: user-facing errors become one clear line (and a JSON error object
    /// with --json) instead of a stack trace.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(CliHost host, GlobalOptions options, Func<CommandRun, ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            using var run = new CommandRun(host, parse, options);
            try
            {
                return await body(run, parse, cancellationToken);
            }
            catch (UsageException ex)
            {
                return Fail(run, ex.Message, ExitCodes.Usage);
            }
            catch (InvalidSettingException ex) when (ex.FromRequest)
            {
                // The values came from this command line: name them as the user typed them.
                return Fail(run, ex.MessageWith(FlagOf), ExitCodes.Usage);
            }
            catch (SkillmakerException ex)
            {
                return Fail(run, ex.Message, ExitCodes.Failed);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Fail(run, "interrupted; everything recorded so far is complete, re-run the same command to finish", ExitCodes.Failed);
            }
            catch (IOException ex) when (NoSpaceException.Is(ex))
            {
                // A write outside the places that name their folder (e.g. the SQLite catalog's).
                return Fail(run, $"no space left: {ex.Message}. Free room on the disk that holds the workspace ({run.WorkspacePath}) and re-run the same command.", ExitCodes.Failed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug or an environment fault: say what and where, keep the trace for --verbose.
                if (parse.GetValue(options.Verbose)) run.Host.Error.WriteLine(ex.ToString());
                return Fail(run, $"unexpected {ex.GetType().Name}: {ex.Message} (run with --verbose for the stack trace)", ExitCodes.Failed);
            }
        };

    /// <summary>The option that carries a request field: minScore is --min-score. The one place where a
    /// service's field becomes a flag.</summary>
    public static string FlagOf(string field) =>
        "--" + string.Concat(field.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static int Fail(CommandRun run, string message, int code)
    {
        if (run.IsJson) run.WriteJson(new { error = new { message, exitCode = code } });
        // Messages quote file names and labels: never let them drive the terminal.
        run.Host.Error.WriteLine($"error: {TerminalText.Safe(message)}");
        return code;
    }

    private static List<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c && s is not RootCommand; s = c.Parents.FirstOrDefault())
            names.Insert(0, c.Name);
        return names;
    }
}
