using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Training;
using Skillmaker.Common;

namespace Skillmaker.Cli.Commands;

/// <summary>How trained versions are shown: by train, train-all and <c>jobs wait</c> of a train run.</summary>
internal static class TrainOutput
{
    /// <summary>What train-all (and <c>jobs wait</c> of a train run) prints; exit 1 when a skill failed.</summary>
    public static int Report(CommandRun run, IReadOnlyList<TrainOutcome> outcomes)
    {
        if (run.IsJson)
            run.WriteJson(new
            {
                skills = outcomes.Select(o => new { config = o.ConfigPath, skill = o.Skill, ok = o.Result is not null, error = o.Error, result = o.Result is { } r ? TrainJson.Of(r) : null }),
            });
        else
            foreach (var o in outcomes)
            {
                if (o.Result is { } r) Render(run, r);
                else run.Console.SafeMarkupLine($"[red]failed[/] {o.Skill} ({o.ConfigPath}): {o.Error}");
            }
        return outcomes.All(o => o.Result is not null) ? ExitCodes.Ok : ExitCodes.Failed;
    }


    public static void Render(CommandRun run, TrainResult r)
    {
        var m = r.Package.Metrics;
        var e = r.Embeddings;
        var table = new Table().AddColumns("", $"{TerminalText.Escape(r.Package.Name)} v{r.Package.Version}");
        table.AddRow("package", TerminalText.Escape(r.Directory));
        table.AddRow("manifest", $"{r.Package.ManifestId[..12]} ({(r.ManifestCreated ? "new" : "reused")}), {r.Package.Training.TrainImages} train images, {m.TestImages} test images");
        table.AddRow("head", $"{r.Package.Head.Type}, {r.Package.Training.TrainExamples} training rows ({r.Package.Training.CopiesPerImage} augmented copies per image)");
        table.AddRow("embeddings", $"{e.Requested} needed: {e.CacheHits} from cache, {e.SharedWithConcurrentRun} shared, {e.Computed} computed in {e.BackboneRuns} backbone runs ({Numbers.OneDecimal(e.Seconds)} s)");
        if (r.EmbeddingsOnWorkers is { } w)
            table.AddRow("on workers", $"{w.Requested} embeddings from run {w.RunId}: {w.Computed} computed in {w.Batches} jobs");
        if (r.TrainedOn is { } machine)
            table.AddRow("trained on", $"worker {TerminalText.Escape(machine)}; embeddings, head, evaluation and report made there");
        table.AddRow("accuracy", $"top-1 {Numbers.Percent(m.Accuracy)}, {string.Join(", ", m.TopK.Skip(1).Select((v, i) => $"top-{i + 2} {Numbers.Percent(v)}"))}; balanced {Numbers.Percent(m.BalancedAccuracy)}");
        table.AddRow("latency", $"p50 {Numbers.OneDecimal(m.LatencyP50Ms)} ms, p95 {Numbers.OneDecimal(m.LatencyP95Ms)} ms per image on this machine");
        table.AddRow("time", $"head {Numbers.OneDecimal(r.HeadSeconds)} s, evaluation {Numbers.OneDecimal(r.EvaluationSeconds)} s, report {Numbers.OneDecimal(r.ReportSeconds)} s, total {Numbers.OneDecimal(r.TotalSeconds)} s");
        table.AddRow("report", TerminalText.Escape(r.ReportPath));
        table.AddRow("versions", $"code {TerminalText.Escape(r.Package.CodeVersion)}, config {r.Package.ConfigHash[..12]}, backbone {r.Package.Backbone.Sha256[..12]}");
        run.Console.Write(table);
        foreach (var n in r.Notifications.Where(n => !n.Delivered))
            run.Console.SafeMarkupLine($"[yellow]warning[/] notification via {n.Channel} not delivered after {n.Attempts} attempts: {n.Error}");
        run.Console.WriteLine($"Promote with: skillmaker promote {r.Package.Name}@{r.Package.Version}");
    }
}
