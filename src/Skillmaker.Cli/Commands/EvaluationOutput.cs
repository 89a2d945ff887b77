using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Evaluation;

namespace Skillmaker.Cli.Commands;

/// <summary>How evaluations are shown: by eval and <c>jobs wait</c> of an eval run.</summary>
internal static class EvaluationOutput
{
    /// <summary>What eval (and <c>jobs wait</c> of an eval run) prints; exit 1 when a version failed.</summary>
    public static int Report(CommandRun run, IReadOnlyList<EvalOutcome> outcomes)
    {
        if (run.IsJson)
            run.WriteJson(new
            {
                evaluations = outcomes.Select(o => new
                {
                    skill = o.Skill.Name, version = o.Skill.Version, ok = o.Evaluation is not null, error = o.Error,
                    path = o.Evaluation?.Path, evaluation = o.Evaluation?.Summary,
                }),
            });
        else
            foreach (var o in outcomes)
            {
                if (o.Evaluation is { } e)
                {
                    Render(run, e.Summary);
                    run.Console.WriteLine($"Saved {e.Path}");
                }
                else run.Console.SafeMarkupLine($"[red]failed[/] {o.Skill}: {o.Error}");
            }
        return outcomes.All(o => o.Evaluation is not null) ? ExitCodes.Ok : ExitCodes.Failed;
    }


    public static void Render(CommandRun run, EvaluationSummary e)
    {
        run.Console.WriteLine($"{e.Skill} v{e.Version} on manifest {e.ManifestId[..12]} ({e.Images} test images) on {e.Machine}");
        var metrics = new Table().AddColumns("Metric", "Value");
        metrics.AddRow("accuracy (top-1)", Numbers.Percent(e.Accuracy));
        metrics.AddRow("balanced accuracy", Numbers.Percent(e.BalancedAccuracy));
        foreach (var (v, i) in e.TopK.Select((v, i) => (v, i)).Skip(1)) metrics.AddRow($"top-{i + 1}", Numbers.Percent(v));
        metrics.AddRow("calibration error", e.CalibrationError.ToString("0.000", CultureInfo.InvariantCulture));
        metrics.AddRow("latency p50 / p95", $"{Numbers.OneDecimal(e.LatencyP50Ms)} / {Numbers.OneDecimal(e.LatencyP95Ms)} ms");
        run.Console.Write(metrics);
        var perClass = new Table().AddColumns("Class", "Precision", "Recall", "F1", "Support");
        foreach (var c in e.PerClass) perClass.AddRow(TerminalText.Escape(c.Class), Numbers.Percent(c.Precision), Numbers.Percent(c.Recall), Numbers.Percent(c.F1), c.Support.ToString(CultureInfo.InvariantCulture));
        run.Console.Write(perClass);
        run.Console.WriteLine($"{e.Failures.Count} failures{(e.Failures.Count > 20 ? " (20 most confident shown)" : "")}:");
        foreach (var f in e.Failures.Take(20))
            run.Console.WriteLine($"  {f.ImageId[..12]}  true {f.TrueClass} ({Numbers.Percent(f.TrueProbability)})  predicted {f.PredictedClass} ({Numbers.Percent(f.PredictedProbability)})");
    }
}
