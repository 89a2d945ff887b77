using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Host;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker doctor [--fix]</c>: finds (and cleans) what crashes left in the workspace.</summary>
public static class DoctorCommand
{
    /// <summary>Exit code when leftovers were found and not cleaned (run again with --fix).</summary>
    public const int LeftoversFound = 3;

    public static Command Create(CliHost host, GlobalOptions options)
    {
        var fix = new Option<bool>("--fix") { Description = "Clean what is found: remove orphan files and staging folders, mark dead runs interrupted" };
        var olderThan = new Option<double>("--older-than")
        {
            Description = "Files with no owner recorded count as leftovers once untouched this many minutes (default 10)", HelpName = "MINUTES", DefaultValueFactory = _ => 10,
        };
        olderThan.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or > 525_600) r.AddError("--older-than must be 0..525600 minutes"); });
        var command = new Command("doctor",
            "Find crash leftovers (orphan temporary files and blobs, training staging folders and reservations, runs left 'running' by a dead process) and, with --fix, clean them. "
            + "Work of a process still running here, or of one on another machine, is never touched. Exit code 3 when leftovers remain")
        { fix, olderThan };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            // Not OpenLineAsync: its startup check would clean before this reports.
            await using var line = await LineServices.OpenAsync(await run.OpenWorkspaceAsync(ct), run.LineContext, ct);
            var report = await line.Doctor().CheckAsync(new DoctorRequest { Fix = parse.GetValue(fix), MinAge = TimeSpan.FromMinutes(parse.GetValue(olderThan)) }, ct);
            var code = report.Clean ? ExitCodes.Ok : LeftoversFound;
            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    workspace = line.Workspace.Root,
                    clean = report.Clean,
                    leftovers = report.Leftovers.Count,
                    fixedCount = report.Leftovers.Count(f => f.Fixed),
                    bytes = report.Leftovers.Sum(f => f.Bytes),
                    findings = report.Findings.Select(f => new { kind = f.Kind, path = f.Path, bytes = f.Bytes, state = f.State, detail = f.Detail, @fixed = f.Fixed }),
                });
                return code;
            }
            if (report.Findings.Count == 0)
            {
                run.Console.WriteLine($"No crash leftovers in {line.Workspace.Root}.");
                return code;
            }
            var table = new Table().AddColumns("Kind", "Path", "Size", "State", "Detail");
            foreach (var f in report.Findings)
                table.AddRow(f.Kind, TerminalText.Escape(f.Path), f.Bytes > 0 ? NoSpaceException.Size(f.Bytes) : "", f.Fixed ? "cleaned" : f.State, TerminalText.Escape(f.Detail));
            run.Console.Write(table);
            var left = report.Leftovers.Where(f => !f.Fixed).ToList();
            run.Console.WriteLine(left.Count == 0
                ? $"{report.Leftovers.Count} leftovers cleaned ({NoSpaceException.Size(report.Leftovers.Sum(f => f.Bytes))})."
                : $"{left.Count} leftovers ({NoSpaceException.Size(left.Sum(f => f.Bytes))}); `skillmaker doctor --fix` cleans them.");
            return code;
        }));
        return command;
    }
}
