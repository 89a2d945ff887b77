using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Evaluation;

namespace Skillmaker.Cli.Commands;

/// <summary><c>eval-cascade</c>: the test harness for the whole stack. Labelled photos go through the
/// detector and the cascade as <c>serve</c> answers them, here or on a running server.</summary>
internal static class CascadeEvalCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var serving = new Argument<string?>("SERVING.json") { Description = "Serving config with the cascade (default: the workspace's .skillmaker/serving.json)", Arity = ArgumentArity.ZeroOrOne };
        var photos = new Option<string?>("--photos") { Description = "Labelled photos: one sub-folder per label (e.g. a variant), 'no-vehicle' for photos without one", HelpName = "DIR" };
        var dataset = new Option<string?>("--dataset") { Description = "Or a labelled test set: a dataset definition with \"role\": \"test\"; its items' photos, each labelled with its class (a label the cascade's skills were trained on)", HelpName = "DEF.json" };
        var excludeLeaked = new Option<bool>("--exclude-leaked") { Description = "With --dataset: leave out (and list) photos a cascade skill trained on, instead of refusing" };
        var url = new Option<string?>("--url") { Description = "Ask this running server (or compose stack) instead of this process", HelpName = "URL" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --url (default: $SKILLMAKER_API_KEY)", HelpName = "KEY" };
        var command = new Command("eval-cascade", "Run labelled photos through detector → cascade exactly as serve does and score each stage: vehicle found, per-stage accuracy, abstentions, truth among options, end-to-end accuracy, latency per photo")
        {
            serving, photos, dataset, excludeLeaked, url, apiKey,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            Uri? server = null;
            if (parse.GetValue(url) is { } u && (!Uri.TryCreate(u.EndsWith('/') ? u : u + "/", UriKind.Absolute, out server) || server.Scheme is not ("http" or "https")))
                throw new UsageException($"--url: '{u}' is not an http(s) URL");
            var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("SKILLMAKER_API_KEY");
            var folder = parse.GetValue(photos);
            var definitionPath = parse.GetValue(dataset);
            if ((folder is null) == (definitionPath is null)) throw new UsageException("give the labelled photos: either --photos DIR or --dataset DEF.json");
            if (parse.GetValue(excludeLeaked) && definitionPath is null) throw new UsageException("--exclude-leaked goes with --dataset");
            var definition = definitionPath is null ? null : await Datasets.DatasetDefinitionLoader.LoadAsync(run.ResolvePath(definitionPath), ct);
            await using var line = await run.OpenLineAsync(ct);
            var config = parse.GetValue(serving) is { } s ? run.ResolvePath(s) : null;
            var result = await run.WithProgressAsync("Classifying labelled photos", p =>
                line.EvaluateCascadeAsync(new CascadeRequest(folder is null ? null : run.ResolvePath(folder), config, server, key, definition, parse.GetValue(excludeLeaked)), p, ct));
            var saved = await line.Evaluation().RecordCascadeAsync(result, ct);
            if (run.IsJson)
            {
                run.WriteJson(new { path = saved, evaluation = result });
                return ExitCodes.Ok;
            }
            var c = run.Console;
            if (result.Set is { } set) c.WriteLine($"Photos: {set}" + (result.Excluded.Count > 0 ? $"; {result.Excluded.Count} left out ({string.Join("; ", result.Excluded.Take(5))}{(result.Excluded.Count > 5 ? "; ..." : "")})" : ""));
            c.WriteLine($"{result.Photos} photos via {result.Via}: vehicle found in {result.VehicleFound} of {result.VehiclePhotos} ({CascadeEvaluator.Percent(result.VehicleFound, result.VehiclePhotos)}); " +
                        $"a vehicle claimed in {result.FalseVehicles} of {result.NoVehiclePhotos} photos without one");
            var table = new Table().AddColumns("stage", "reached", "with truth", "accuracy", "abstained", "truth in options");
            foreach (var st in result.Stages)
                table.AddRow(TerminalText.Escape(st.Skill), $"{st.Reached}", $"{st.WithTruth}", CascadeEvaluator.Percent(st.Correct, st.WithTruth), $"{st.Abstained}", CascadeEvaluator.Percent(st.OptionsHit, st.WithTruth));
            c.Write(table);
            c.WriteLine($"End to end: {result.EndToEndCorrect} of {result.VehiclePhotos} vehicle photos right all the way ({CascadeEvaluator.Percent(result.EndToEndCorrect, result.VehiclePhotos)}), " +
                        $"abstained on {result.EndToEndAbstained} ({CascadeEvaluator.Percent(result.EndToEndAbstained, result.VehiclePhotos)}), the truth among the options in {result.AbstainedWithTruthInOptions} of them ({CascadeEvaluator.Percent(result.AbstainedWithTruthInOptions, result.EndToEndAbstained)}); latency per photo p50 {result.LatencyP50Ms:0.0} ms, p95 {result.LatencyP95Ms:0.0} ms");
            c.WriteLine($"Saved {saved}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
