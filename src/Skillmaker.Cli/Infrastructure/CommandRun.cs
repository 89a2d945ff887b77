using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Skillmaker.Host;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Infrastructure;

/// <summary>One command invocation: its output mode, workspace, logging and progress display.</summary>
public sealed class CommandRun : IDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Paths and reasons are read by people too: keep <, > and quotes as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly string? _workspaceOption;

    public CommandRun(CliHost host, ParseResult parse, GlobalOptions options)
    {
        Host = host;
        IsJson = parse.GetValue(options.Json);
        _workspaceOption = parse.GetValue(options.Workspace);
        var verbose = parse.GetValue(options.Verbose);
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(host.Out),
            Ansi = host.InteractiveProgress ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = host.InteractiveProgress ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Redirected output has no terminal width; 80 columns would wrap paths and reasons.
        if (!host.InteractiveProgress) Console.Profile.Width = 200;
        ErrorConsole = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(host.Error),
            Ansi = host.InteractiveProgress ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = host.InteractiveProgress ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = host.InteractiveProgress ? InteractionSupport.Yes : InteractionSupport.No,
        });
        Logging = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddSimpleConsole(o => { o.SingleLine = true; o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }

    public CliHost Host { get; }
    public bool IsJson { get; }
    /// <summary>Human output on stdout.</summary>
    public IAnsiConsole Console { get; }
    /// <summary>Progress and notes on stderr, so stdout stays clean for --json.</summary>
    public IAnsiConsole ErrorConsole { get; }
    public ILoggerFactory Logging { get; }
    public TimeProvider Time => Host.Time;

    /// <summary>Who runs the command, for records such as promotions: $USER, else the OS account.</summary>
    public string User => Host.Environment("USER") is { Length: > 0 } user ? user : Environment.UserName;

    /// <summary>The folder the user meant: --workspace, else $SKILLMAKER_WORKSPACE, else the current folder.</summary>
    public string WorkspacePath => Path.GetFullPath(_workspaceOption ?? Host.Environment(Workspace.EnvironmentVariable) ?? Host.CurrentDirectory, Host.CurrentDirectory);

    public Task<Workspace> OpenWorkspaceAsync(CancellationToken cancellationToken) => Workspace.OpenAsync(WorkspacePath, cancellationToken);

    /// <summary>The named workspace with the line's services over it (see <see cref="LineServices"/>).
    /// <para>The startup check runs first: runs left <c>running</c> by a process that died on this machine
    /// are marked interrupted and its training staging removed (only what a dead owner proves; `skillmaker
    /// doctor` finds the rest), with a note on stderr.</para></summary>
    public async Task<LineServices> OpenLineAsync(CancellationToken cancellationToken)
    {
        var line = await LineServices.OpenAsync(await OpenWorkspaceAsync(cancellationToken), LineContext, cancellationToken);
        try
        {
            await line.Doctor().StartupCheckAsync(Host.Error, cancellationToken);
            return line;
        }
        catch
        {
            await line.DisposeAsync();
            throw;
        }
    }

    /// <summary>The host's environment, with the secrets it lacks taken from the credentials file
    /// (see <see cref="Common.Credentials"/>; the workspace's own is looked for from <see cref="WorkspacePath"/>).</summary>
    public Func<string, string?> EnvironmentWithCredentials => Common.Credentials.Over(Host.Environment, WorkspacePath);

    /// <summary>What this command lends the line: clock, logging, environment, where to look for assets.</summary>
    public LineContext LineContext => new()
    {
        Time = Time,
        Logging = Logging,
        Environment = EnvironmentWithCredentials,
        AssetSearchStart = [Host.CurrentDirectory, AppContext.BaseDirectory],
        User = User,
    };

    public string ResolvePath(string path) => Path.GetFullPath(path, Host.CurrentDirectory);

    public void WriteJson<T>(T value) => Host.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Runs long work with a progress bar on stderr (a live bar on a terminal, a line every
    /// few seconds otherwise).</summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<(int Done, int Total)>, Task<T>> work)
    {
        if (Host.InteractiveProgress)
        {
            return await ErrorConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: 1);
                    var progress = new SynchronousProgress<(int Done, int Total)>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    });
                    var result = await work(progress);
                    task.Value = task.MaxValue;
                    return result;
                });
        }

        var last = TimeSpan.Zero;
        var started = Time.GetTimestamp();
        var lines = new SynchronousProgress<(int Done, int Total)>(p =>
        {
            var elapsed = Time.GetElapsedTime(started);
            if (p.Done != p.Total && elapsed - last < TimeSpan.FromSeconds(5)) return;
            last = elapsed;
            lock (Host.Error) Host.Error.WriteLine($"{title}: {p.Done}/{p.Total} ({(p.Total == 0 ? 100 : 100 * p.Done / p.Total)}%)");
        });
        return await work(lines);
    }

    /// <summary>Runs work made of named stages (e.g. "car-variants: embeddings"), one progress bar per
    /// stage as it starts (on a terminal), or a line per stage every few seconds and when it ends.</summary>
    public async Task<T> WithStagesAsync<T>(Func<IProgress<(string Stage, int Done, int Total)>, Task<T>> work)
    {
        if (Host.InteractiveProgress)
        {
            return await ErrorConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    var progress = new SynchronousProgress<(string Stage, int Done, int Total)>(p =>
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task)) tasks[p.Stage] = task = ctx.AddTask(TerminalText.Escape(p.Stage), maxValue: 1);
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    });
                    return await work(progress);
                });
        }

        var last = new Dictionary<string, TimeSpan>();
        var started = Time.GetTimestamp();
        var lines = new SynchronousProgress<(string Stage, int Done, int Total)>(p =>
        {
            var elapsed = Time.GetElapsedTime(started);
            if (p.Done != p.Total && last.TryGetValue(p.Stage, out var previous) && elapsed - previous < TimeSpan.FromSeconds(5)) return;
            last[p.Stage] = elapsed;
            lock (Host.Error) Host.Error.WriteLine($"{p.Stage}: {p.Done}/{p.Total} ({(p.Total == 0 ? 100 : 100 * p.Done / p.Total)}%)");
        });
        return await work(lines);
    }

    public void Dispose() => Logging.Dispose();

    /// <summary>Reports on the caller's thread; Progress&lt;T&gt; would post to the thread pool and
    /// could report after the work is done.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _gate = new();
        public void Report(T value)
        {
            lock (_gate) report(value);
        }
    }
}
