using System.Diagnostics;

namespace Skillmaker.Tests.Support;

/// <summary>Runs a command-line tool the tests rely on (poppler-utils, git) and returns its stdout.</summary>
public static class ExternalTool
{
    public static string Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start; run .ci/install-deps");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {error.Result}");
        return output;
    }
}
