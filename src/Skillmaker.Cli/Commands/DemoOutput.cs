using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Serving;
using Skillmaker.Demo;

namespace Skillmaker.Cli.Commands;

/// <summary>How a demo run is shown to people: the served answers, then every artefact and where it is.</summary>
public static class DemoOutput
{
    public static void Render(CommandRun run, DemoResult result)
    {
        var console = run.Console;
        console.WriteLine();
        console.SafeMarkupLine($"[bold]Answers of the running server[/] ({result.Serving.Address}, API client '{result.Serving.ApiClient}', server code {result.CodeVersion}):");
        var answers = new Table().AddColumns("Photo", "Vehicle", "Answer", "Versions");
        foreach (var a in result.Answers)
            answers.AddRow(
                new Markup($"{TerminalText.Escape(a.Photo)}\n[grey]{TerminalText.Escape(a.Why)}{(a.Truth is null ? "" : $"; truth: {TerminalText.Escape(a.Truth)}")}[/]"),
                new Text(Vehicle(a.Answer)),
                new Text(Cascade(a.Answer)),
                new Text(Versions(a)));
        console.Write(answers);

        console.MarkupLine("[bold]Artefacts[/]");
        var artefacts = new Table().AddColumns("Artefact", "Path", "Detail");
        foreach (var a in result.Artefacts) artefacts.AddRow(TerminalText.Escape(a.Name), TerminalText.Escape(a.Path), TerminalText.Escape(a.Detail));
        console.Write(artefacts);
        console.WriteLine($"The whole line ran in {result.Seconds.ToString("0", CultureInfo.InvariantCulture)} s.");
        console.WriteLine($"Next: ./skillmaker serve --workspace {result.Workspace.Path}   (the API and the crowd and review pages; see README.md for your own photos)");
    }

    /// <summary>"car 0.87" for the chosen vehicle and how many were found, or "no vehicle".</summary>
    public static string Vehicle(ClassifyAnswer answer)
    {
        if (!answer.Vehicle.Detected) return "no vehicle";
        var chosen = answer.Vehicle.Detections.FirstOrDefault(d => d.Chosen) ?? answer.Vehicle.Detections[0];
        var count = answer.Vehicle.Detections.Count;
        return $"{chosen.ClassName} {chosen.Score.ToString("0.00", CultureInfo.InvariantCulture)}{(count > 1 ? $" (largest of {count})" : "")}";
    }

    /// <summary>"make: audi 71% → audi-variant: audi_s4_sedan_2012 55%", abstentions with their options.</summary>
    public static string Cascade(ClassifyAnswer answer) => answer.Cascade.Count == 0
        ? "nothing to classify"
        : string.Join(" → ", answer.Cascade.Select(s => s.Abstained
            ? $"{s.Skill}: not sure (best {string.Join(", ", s.Options.Select(o => $"{o.Label} {Pct(o.Probability)}"))})"
            : $"{s.Skill}: {s.Label} {Pct(s.Probability)}"));

    private static string Versions(DemoAnswer a) =>
        (a.SkillVersionsHeader.Length == 0 ? "no skill ran" : a.SkillVersionsHeader) +
        (a.Answer.Cascade.Count == 0 ? "" : $"\ntrained by code {string.Join(", ", a.Answer.Cascade.Select(s => Short(s.CodeVersion)).Distinct())}");

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;

    private static string Pct(float p) => (p * 100).ToString("0", CultureInfo.InvariantCulture) + "%";
}
