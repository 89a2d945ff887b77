using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;
using Skillmaker.Promotion;
using Skillmaker.Registry;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skills list|show</c>, <c>eval</c>, <c>promote</c> and <c>report</c>: what was trained,
/// how good it is, whether it goes live, and the document that says so.</summary>
public static class SkillCommands
{
    public static Command Skills(CliHost host, GlobalOptions options)
    {
        var list = new Command("list", "List skills and their versions with metrics, aliases and statuses");
        list.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var env = line.Training;
            var skills = new List<object>();
            var table = new Table().AddColumns("Skill", "Version", "Created", "Head", "Top-1", "p95 ms", "Manifest", "Aliases", "Status");
            foreach (var name in await env.Skills.NamesAsync(ct))
            {
                var aliases = await env.Registry.GetAliasesAsync(name, ct);
                var versions = new List<object>();
                foreach (var version in await env.Skills.VersionsAsync(name, ct))
                {
                    var info = await env.Skills.ReadInfoAsync(new SkillRef(name, version), ct);
                    var status = await env.Registry.GetStatusAsync(name, version, ct);
                    var pointing = aliases.Where(a => a.Value == version).Select(a => a.Key).ToList();
                    versions.Add(new
                    {
                        version, createdAt = info.CreatedAt, head = info.Head.Type, manifestId = info.ManifestId, metrics = info.Metrics,
                        aliases = pointing, status = status?.Status, path = env.Skills.PathOf(new SkillRef(name, version)),
                    });
                    table.AddRow(TerminalText.Escape(name), version.ToString(CultureInfo.InvariantCulture), info.CreatedAt.ToString("u", CultureInfo.InvariantCulture), info.Head.Type,
                        Numbers.Percent(info.Metrics.Accuracy), Numbers.OneDecimal(info.Metrics.LatencyP95Ms), info.ManifestId[..12], string.Join(", ", pointing), TerminalText.Escape(status?.Status ?? ""));
                }
                skills.Add(new { name, aliases, versions });
            }
            if (run.IsJson) run.WriteJson(new { skills });
            else if (skills.Count == 0) run.Console.WriteLine("No skills yet; train one with `skillmaker train SKILL.json`.");
            else run.Console.Write(table);
            return ExitCodes.Ok;
        }));

        var skillArgument = SkillArgument();
        var show = new Command("show", "Show one skill version: skill.json, aliases, status and evaluation") { skillArgument };
        show.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var skill = Parse(parse.GetValue(skillArgument)!);
            await using var line = await run.OpenLineAsync(ct);
            var env = line.Training;
            var path = await env.Skills.FindAsync(skill, ct);
            var info = SkillPackage.ReadInfo(path);
            var aliases = (await env.Registry.GetAliasesAsync(skill.Name, ct)).Where(a => a.Value == skill.Version).Select(a => a.Key).ToList();
            var status = await env.Registry.GetStatusAsync(skill.Name, skill.Version, ct);
            if (run.IsJson)
            {
                // The latest gate decision, from the catalog in a shared workspace (whichever machine promoted).
                var gate = await env.Gates.LatestAsync(skill, ct);
                run.WriteJson(new { path, aliases, status, gate, files = Directory.GetFiles(path).Select(Path.GetFileName).Order(StringComparer.Ordinal), skill = info });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Field", "Value");
            table.AddRow("skill", $"{TerminalText.Escape(info.Name)} v{info.Version} ({string.Join(", ", aliases.DefaultIfEmpty("no alias"))}{(status is null ? "" : "; " + TerminalText.Escape(status.Status))})");
            table.AddRow("path", TerminalText.Escape(path));
            table.AddRow("created", info.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
            table.AddRow("labels", TerminalText.Escape(string.Join(", ", info.Labels)));
            table.AddRow("head", $"{info.Head.Type} {TerminalText.Escape(info.Head.Params.GetRawText())}");
            table.AddRow("backbone", $"{TerminalText.Escape(info.Backbone.Path)} (sha256 {info.Backbone.Sha256[..12]}, output {TerminalText.Escape(info.Backbone.Output)}, {info.Backbone.EmbeddingSize} dimensions)");
            table.AddRow("manifest", $"{info.ManifestId} ({TerminalText.Escape(info.Dataset)}; {info.Training.TrainImages} train images, {info.Training.TrainExamples} rows; {info.Metrics.TestImages} test images)");
            table.AddRow("metrics", $"top-1 {Numbers.Percent(info.Metrics.Accuracy)}, {string.Join(", ", info.Metrics.TopK.Skip(1).Select((v, i) => $"top-{i + 2} {Numbers.Percent(v)}"))}; p50 {Numbers.OneDecimal(info.Metrics.LatencyP50Ms)} ms, p95 {Numbers.OneDecimal(info.Metrics.LatencyP95Ms)} ms");
            table.AddRow("versions", $"code {TerminalText.Escape(info.CodeVersion)}, config {info.ConfigHash}");
            table.AddRow("profile", $"{TerminalText.Escape(info.Profile)}: batch {info.Runtime.BatchSize}, {info.Runtime.Threads} threads, {TerminalText.Escape(info.Runtime.ExecutionProvider)}");
            if (status is not null) table.AddRow("status note", TerminalText.Escape(status.Note));
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));

        var command = new Command("skills", "List and show trained skill versions");
        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        return command;
    }

    public static Command Eval(CliHost host, GlobalOptions options)
    {
        var skillArgument = new Argument<string[]>("NAME@VERSION") { Description = "Skill versions, e.g. car-variants@3 (see `skillmaker skills list`)", Arity = ArgumentArity.OneOrMore };
        var manifestOption = new Option<string?>("--manifest", "-m") { Description = "Evaluate on this manifest's test split (default: the one each skill was trained on)", HelpName = "ID" };
        var datasetOption = new Option<string?>("--dataset") { Description = "Evaluate on an external labelled test set: a dataset definition with \"role\": \"test\" (extracted first; same metrics; refused when classes do not match or items leak from training)", HelpName = "DEF.json" };
        var excludeLeaked = new Option<bool>("--exclude-leaked") { Description = "With --dataset: leave out (and list) test items whose image, photo, near-duplicate or set was in the version's training data, instead of refusing" };
        var command = new Command("eval", "Evaluate skill versions on a manifest's test split on this machine (server mode: one job per version on the workers): accuracy, per-class metrics, top-k, confusion, calibration, latency p50/p95, failures. Exit 1 if any failed")
        {
            skillArgument, manifestOption, datasetOption, excludeLeaked,
        };
        var jobs = new JobOptions();
        jobs.Local.Description = "Evaluate in this process even when the workspace config has a jobs section (default there: one job per version on the workers)";
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var skills = (parse.GetValue(skillArgument) ?? []).Select(Parse).ToList();
            if (skills.Distinct().Count() != skills.Count) throw new UsageException("a skill version is listed twice");
            await using var line = await run.OpenLineAsync(ct);
            var manifest = parse.GetValue(manifestOption);
            IReadOnlyList<EvalOutcome> outcomes;
            if (parse.GetValue(datasetOption) is { } datasetPath)
            {
                if (manifest is not null) throw new UsageException("give either --manifest or --dataset, not both");
                var definition = await Datasets.DatasetDefinitionLoader.LoadAsync(run.ResolvePath(datasetPath), ct);
                var evaluations = line.Evaluation();
                var external = new List<EvalOutcome>();
                foreach (var skill in skills)
                {
                    try
                    {
                        var result = await run.WithProgressAsync($"Evaluating {skill} on {definition.Name}", p => evaluations.EvaluateOnTestSetAsync(skill, definition, parse.GetValue(excludeLeaked), p, ct));
                        foreach (var l in result.Leaked) run.ErrorConsole.WriteLine($"{skill}: left out {l.ImageId[..12]}: {l.Reason}");
                        external.Add(new EvalOutcome(skill, result.Recorded, null));
                    }
                    catch (SkillmakerException ex) when (skills.Count > 1 && ex is not InvalidSettingException)
                    {
                        external.Add(new EvalOutcome(skill, null, ex.Message));
                    }
                }
                return EvaluationOutput.Report(run, external);
            }
            if (jobs.OnWorkers(parse, line.Workspace))
            {
                var evalJobs = line.EvalJobs();
                var dispatcher = await line.OpenJobsAsync(ct);
                var (runId, submitted) = await evalJobs.SubmitAsync(skills, manifest, dispatcher, Jobs.WorkspaceRef.Of(line.Workspace), ct);
                if (jobs.Detached(parse)) return JobOptions.WriteDetached(run, EvalJobs.Kind, runId, submitted);
                var done = await JobOptions.StopWaitingOnCancelAsync(run, runId,
                    () => run.WithProgressAsync($"Evaluating {string.Join(", ", skills)} on the workers", p => evalJobs.WaitAsync(runId, dispatcher, p, ct)), ct);
                if (done is null) return ExitCodes.Failed;
                outcomes = done;
            }
            else
            {
                var evaluations = line.Evaluation();
                var here = new List<EvalOutcome>();
                foreach (var skill in skills)
                {
                    try
                    {
                        here.Add(new EvalOutcome(skill, await run.WithProgressAsync($"Evaluating {skill}", p => evaluations.EvaluateAsync(skill, manifest, p, ct)), null));
                    }
                    catch (SkillmakerException ex) when (skills.Count > 1)
                    {
                        // One bad version must not hide the others' results; alone, it is the command's error.
                        here.Add(new EvalOutcome(skill, null, ex.Message));
                    }
                }
                outcomes = here;
            }
            return EvaluationOutput.Report(run, outcomes);
        }));
        return command;
    }

    public static Command Promote(CliHost host, GlobalOptions options)
    {
        var skillArgument = SkillArgument();
        var force = new Option<bool>("--force") { Description = "Promote even if the gate does not pass (needs --reason)" };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the alias history); required with --force", HelpName = "TEXT" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Measure and decide, print the whole decision; record, move and notify nothing" };
        var to = new Option<string>("--to") { Description = "Alias to move: production (gated, deployed) or staging (the challenger: measured against production, moved whatever the gate says, not deployed)", HelpName = "ALIAS", DefaultValueFactory = _ => Aliases.Production };
        var command = new Command("promote", "Move the production alias to a version if the paired comparison with production on the same test items shows it accurate enough, no class lost and no slower beyond noise (both measured now, here). Exit 0 promoted (or would be, with --dry-run), 1 not promoted")
        {
            skillArgument, force, reason, dryRun, to,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var skill = Parse(parse.GetValue(skillArgument)!);
            if (parse.GetValue(force) && string.IsNullOrWhiteSpace(parse.GetValue(reason)))
                throw new UsageException("--force needs --reason TEXT: a forced promotion is recorded with why");
            var alias = parse.GetValue(to)!;
            if (!Aliases.All.Contains(alias))
                throw new UsageException($"--to: '{alias}' is not an alias; use one of: {string.Join(", ", Aliases.All)}");
            await using var line = await run.OpenLineAsync(ct);
            var promotion = line.Promotion();
            var result = await run.WithProgressAsync($"Measuring {skill} against production", p =>
                promotion.PromoteAsync(new PromotionRequest(skill, run.User, parse.GetValue(force), parse.GetValue(reason), parse.GetValue(dryRun), alias), p, ct));
            if (run.IsJson)
                run.WriteJson(new
                {
                    skill = skill.Name, version = skill.Version, alias = result.Alias, dryRun = result.DryRun, promoted = result.Promoted, forced = result.Forced,
                    alreadyProduction = result.AlreadyProduction, previousProduction = result.PreviousProduction, status = result.Status, decision = result.Decision,
                    candidate = Brief(result.CandidateEvaluation), production = Brief(result.ProductionEvaluation),
                    deploymentFiles = result.DeploymentFiles, deploymentManifestSha256 = result.DeploymentManifestSha256, decisionPath = result.DecisionPath,
                    reportPath = result.ReportPath, reportSha256 = result.ReportSha256, notifications = result.Notifications,
                });
            else PromotionOutput.Render(run, result);
            var passed = result.DryRun ? result.Decision.Passed : result.Promoted;
            return passed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    public static Command Report(CliHost host, GlobalOptions options)
    {
        var skillArgument = SkillArgument();
        var output = new Option<string>("--out", "-o") { Description = "PDF file to write", Required = true, HelpName = "FILE.pdf" };
        var published = new Option<bool>("--published") { Description = "Server mode: write the latest report published to the blob store (by promote or an earlier report, on any machine), verified by its SHA-256, instead of writing a new one" };
        var command = new Command("report", "Write the model report PDF of a skill version: versions, data, metrics, confusion matrix, failures with where the model looked, gate decision (server mode: written on a worker and published to the blob store)")
        {
            skillArgument, output, published,
        };
        var jobs = new JobOptions(detachable: false);
        jobs.Local.Description = "Write the report in this process even when the workspace config has a jobs section (default there: on a worker); in server mode it is still published";
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var skill = Parse(parse.GetValue(skillArgument)!);
            var path = run.ResolvePath(parse.GetValue(output)!);
            await using var line = await run.OpenLineAsync(ct);
            var evaluations = line.Evaluation();
            if (parse.GetValue(published))
            {
                var reports = evaluations.PublishedReports
                    ?? throw new UsageException($"--published needs a workspace that publishes to a shared blob store (a PostgreSQL catalog); this one's catalog is {line.Catalog.Location}. Leave out --published to write the report.");
                var record = await reports.LatestAsync(skill, ct)
                    ?? throw new SkillmakerException($"No report of {skill} was published to the blob store; write one with `skillmaker report {skill} --out FILE.pdf` (or promote the version), then fetch it anywhere with --published.");
                await reports.WriteAsync(record, path, ct);
                if (run.IsJson) run.WriteJson(new { path, skill = skill.Name, version = skill.Version, published = true, sha256 = record.Sha256, size = record.Size, publishedAt = record.PublishedAt });
                else run.Console.WriteLine($"Wrote {path}: the report of {skill} published {record.PublishedAt.ToString("u", CultureInfo.InvariantCulture)} (sha256 {record.Sha256[..12]}, verified)");
                return ExitCodes.Ok;
            }
            if (jobs.OnWorkers(parse, line.Workspace))
            {
                var reportJobs = line.ReportJobs();
                var dispatcher = await line.OpenJobsAsync(ct);
                var runId = await reportJobs.SubmitAsync(skill, dispatcher, Jobs.WorkspaceRef.Of(line.Workspace), ct);
                var done = await JobOptions.StopWaitingOnCancelAsync(run, runId,
                    () => run.WithProgressAsync($"Writing the report of {skill} on a worker", p => reportJobs.WaitAsync(runId, skill, path, dispatcher, p, ct)), ct);
                if (done is null) return ExitCodes.Failed;
                if (run.IsJson) run.WriteJson(new { path, skill = skill.Name, version = skill.Version, failuresShown = done.FailuresShown, gate = done.GatePassed, runId, sha256 = done.Sha256 });
                else run.Console.WriteLine($"Wrote {path} (written on a worker in run {runId}, published with sha256 {done.Sha256[..12]})");
                return ExitCodes.Ok;
            }
            var (report, publishedRecord) = await run.WithProgressAsync("Report", async p =>
            {
                var written = await evaluations.WriteAndPublishReportAsync(skill, path, ct);
                p.Report((1, 1));
                return written;
            });
            if (run.IsJson) run.WriteJson(new { path, skill = skill.Name, version = skill.Version, failuresShown = report.Failures.Count, gate = report.Gate?.Passed, sha256 = publishedRecord?.Sha256 });
            else run.Console.WriteLine(publishedRecord is null ? $"Wrote {path}" : $"Wrote {path} (published with sha256 {publishedRecord.Sha256[..12]})");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Argument<string> SkillArgument() => new("NAME@VERSION") { Description = "Skill version, e.g. car-variants@3 (see `skillmaker skills list`)" };

    private static SkillRef Parse(string text)
    {
        try
        {
            return SkillRef.Parse(text);
        }
        catch (SkillmakerException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static object? Brief(EvaluationSummary? e) =>
        e is null ? null : new { e.Version, e.Accuracy, e.BalancedAccuracy, e.TopK, e.LatencyP50Ms, e.LatencyP95Ms, e.Images, e.Machine, e.ManifestId };
}
