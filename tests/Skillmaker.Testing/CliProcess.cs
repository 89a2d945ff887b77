using System.Diagnostics;
using System.Text;

namespace Skillmaker.Testing;

/// <summary>The real skillmaker.dll in a child process, as a user or an orchestrator starts it: for workers
/// that must die by SIGKILL, and for environments the test process must not share.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly Lock _gate = new();
    private (Func<string, bool> Match, TaskCompletionSource<string> Killed)? _killOn;

    private CliProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Received(_out, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Received(_error, e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            lock (_gate)
            {
                _killOn?.Killed.TrySetException(new InvalidOperationException($"the process exited ({process.ExitCode}) before the line it was to be killed at\nstderr: {_error}"));
                _killOn = null;
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void Received(StringBuilder into, string line)
    {
        lock (_gate)
        {
            into.AppendLine(line);
            if (_killOn is not { } kill || !kill.Match(line)) return;
            _killOn = null;
            // Killed from the reader itself: nothing the process does after printing the line runs to its end.
            _process.Kill(entireProcessTree: false);
            kill.Killed.TrySetResult(line);
        }
    }

    public string Output { get { lock (_gate) return _out.ToString(); } }
    public string Error { get { lock (_gate) return _error.ToString(); } }
    public bool HasExited => _process.HasExited;

    /// <summary>Processor time the process has used so far (user and kernel).</summary>
    public TimeSpan ProcessorTime => _process.TotalProcessorTime;

    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartProgram("skillmaker.dll", workingDirectory, environment, args);

    /// <summary>Another of the project's programs beside the tests, e.g. the server's skillmaker-server.dll.</summary>
    public static CliProcess StartProgram(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment[Common.AssetLocator.EnvironmentVariable] = TestAssets.Dir;
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits until the process printed <paramref name="text"/> on stdout or stderr; fails when it exits first.</summary>
    public async Task WaitForAsync(string text, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!(Output.Contains(text, StringComparison.Ordinal) || Error.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited) throw new InvalidOperationException($"the process exited ({_process.ExitCode}) before printing '{text}'\nstdout: {Output}\nstderr: {Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no '{text}' within {limit}\nstdout: {Output}\nstderr: {Error}");
            await Task.Delay(50);
        }
    }

    public async Task<CliResult> WaitForExitAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // drains the redirected output
        return new CliResult(_process.ExitCode, Output, Error);
    }

    /// <summary>SIGKILL: no shutdown, no cleanup, as when a machine dies.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGKILL the moment the process prints (after this call) a line <paramref name="match"/> accepts,
    /// e.g. that it started a piece of work; returns that line. Fails when the process exits first.</summary>
    public Task<string> KillAtLineAsync(Func<string, bool> match)
    {
        var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the process already exited ({_process.ExitCode})\nstderr: {_error}");
            _killOn = (match, killed);
        }
        return killed.Task;
    }

    /// <summary>SIGINT, as Ctrl-C.</summary>
    public Task InterruptAsync() => SignalAsync("-INT");

    /// <summary>SIGTERM, as `docker stop` sends it.</summary>
    public Task TerminateAsync() => SignalAsync("-TERM");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
