using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;

namespace Skillmaker.Cli.Commands;

/// <summary>What <c>promote</c> prints for a person: each check as PASS/FAIL, the per-class changes that
/// matter, the verdict as a word, and where the decision and its report are.</summary>
internal static class PromotionOutput
{
    public static void Render(CommandRun run, PromotionResult result)
    {
        var console = run.Console;
        foreach (var c in result.Decision.Checks)
            console.MarkupLine($"{(c.Skipped ? "[yellow]SKIP[/]" : c.Passed ? "[green]PASS[/]" : "[red]FAIL[/]")} {TerminalText.Escape(c.Name)}: {TerminalText.Escape(c.Explanation)}");
        if (result.Decision.Comparison is { IdenticalAnswers: false } paired)
        {
            var table = new Table().AddColumns("class", "items", "production", "candidate", "change (CI)");
            foreach (var k in paired.PerClass.OrderBy(k => k.Delta.Estimate))
                table.AddRow(TerminalText.Escape(k.Class), $"{k.Items}", Pct(k.ProductionRecall), Pct(k.CandidateRecall), TerminalText.Escape(k.Delta.Describe()));
            console.Write(table);
        }
        if (result.Decision.Cascade is { } cascade)
        {
            var table = new Table().Title(TerminalText.Escape($"cascade on {cascade.Set}")).AddColumns("stage", "production", "candidate", "abstained (prod → cand)", "truth in options (prod → cand)");
            foreach (var st in cascade.Candidate.Stages)
            {
                var p = cascade.Production.Stages.FirstOrDefault(x => x.Skill == st.Skill);
                table.AddRow(TerminalText.Escape(st.Skill), p is null ? "n/a" : CascadeEvaluator.Percent(p.Correct, p.WithTruth), CascadeEvaluator.Percent(st.Correct, st.WithTruth),
                    $"{p?.Abstained.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"} → {st.Abstained}", $"{(p is null ? "n/a" : CascadeEvaluator.Percent(p.OptionsHit, p.WithTruth))} → {CascadeEvaluator.Percent(st.OptionsHit, st.WithTruth)}");
            }
            table.AddRow("end to end", Pct(cascade.Production.EndToEndAccuracy), Pct(cascade.Candidate.EndToEndAccuracy),
                $"{Pct(cascade.Production.AbstainRate)} → {Pct(cascade.Candidate.AbstainRate)}", $"{Pct(cascade.Production.OptionsHitRate)} → {Pct(cascade.Candidate.OptionsHitRate)}");
            console.Write(table);
        }
        var verdict = result switch
        {
            { DryRun: true } => result.Decision.Passed ? "[green]WOULD PROMOTE[/] (dry run, nothing moved)" : "[red]WOULD NOT PROMOTE[/] (dry run, nothing moved)",
            { Promoted: true, Alias: "staging" } => "[green]STAGED[/]",
            { Forced: true } => "[yellow]PROMOTED (FORCED)[/]",
            { Promoted: true } => "[green]PROMOTED[/]",
            { Decision.Outcome: GateDecision.NoChangeOutcome } => "[blue]NO CHANGE[/]",
            _ => "[red]NOT PROMOTED[/]",
        };
        console.MarkupLine($"{verdict} {TerminalText.Escape(result.Decision.Reason)}");
        if (result.DecisionPath is { } decision) console.WriteLine($"  decision: {decision}");
        if (result.ReportPath is { } report) console.WriteLine($"  report: {report}");
        foreach (var f in result.DeploymentFiles) console.WriteLine($"  deployment: {f}");
        if (result.DeploymentManifestSha256 is { } published)
            console.WriteLine($"  deployment published to the blob store (manifest sha256 {published[..12]}): any machine writes it with skillmaker deploy fetch {result.Candidate.Name}");
        foreach (var n in result.Notifications.Where(n => !n.Delivered))
            console.SafeMarkupLine($"[yellow]warning[/] notification via {n.Channel} not delivered after {n.Attempts} attempts: {n.Error}");
    }

    private static string Pct(double v) => Numbers.Percent(v);
}
