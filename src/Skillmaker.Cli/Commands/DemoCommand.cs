using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Ingest;
using Skillmaker.Storage;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker demo</c>: the whole line on the shared assets, in a fresh workspace.
/// Stages that are not built yet are listed as such, never faked.</summary>
public static class DemoCommand
{
    private const string DemoMarker = "demo-workspace";

    /// <summary>Stages of the line after ingest, in order, that this build does not run yet.</summary>
    public static readonly IReadOnlyList<string> MissingStages =
        ["crowd labelling", "extract (sticky splits)", "train", "evaluate", "report", "promote", "serve"];

    public static Command Create(CliHost host, GlobalOptions options)
    {
        var assets = new Option<string?>("--assets") { Description = $"Assets folder with cars/ and scenes/ (default: ${AssetLocator.EnvironmentVariable}, then ../shared/assets beside the repository)", HelpName = "DIR" };
        var command = new Command("demo", "Run the whole line on the shared demo assets in a fresh workspace (default ./demo-workspace)") { assets };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var assetsDir = LocateAssets(run, parse.GetValue(assets));
            var cars = Path.Combine(assetsDir, "cars");
            var scenes = Path.Combine(assetsDir, "scenes");
            foreach (var needed in new[] { cars, scenes })
                if (!Directory.Exists(needed))
                    throw new SkillmakerException($"The demo needs {needed}, which does not exist. Point --assets or ${AssetLocator.EnvironmentVariable} at a folder with cars/ and scenes/.");

            var root = parse.GetValue(options.Workspace) is { } w ? run.ResolvePath(w) : Path.Combine(run.Host.CurrentDirectory, "demo-workspace");
            var workspace = await CreateFreshAsync(root, ct).ConfigureAwait(false);
            await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, ct).ConfigureAwait(false);
            var blobs = WorkspaceStorage.OpenBlobs(workspace);
            var probe = new Vision.Imaging.SkiaImageProbe();
            var ingest = new IngestService(catalog, blobs, probe, workspace.Config.Ingest, run.Time, run.Logging.CreateLogger<IngestService>());

            var steps = new List<object>();
            var carsSummary = await run.WithProgressAsync("Ingest cars", p => ingest.RunAsync(
                new IngestRequest { Paths = [cars], Source = "stanford-cars", LabelsFromFolders = true }, new IngestProgressAdapter(p), ct)).ConfigureAwait(false);
            steps.Add(new { stage = "ingest", source = "stanford-cars", carsSummary.Added, carsSummary.Duplicates, carsSummary.NearDuplicates, rejected = carsSummary.Rejected.Count });
            var scenesSummary = await run.WithProgressAsync("Ingest scenes", p => ingest.RunAsync(
                new IngestRequest { Paths = [scenes], Source = "scenes" }, new IngestProgressAdapter(p), ct)).ConfigureAwait(false);
            steps.Add(new { stage = "ingest", source = "scenes", scenesSummary.Added, scenesSummary.Duplicates, scenesSummary.NearDuplicates, rejected = scenesSummary.Rejected.Count });

            var detector = Vision.Detection.YoloDetector.Shared(Path.Combine(assetsDir, DetectCommand.DefaultModelInAssets), null, workspace.Config.Detector.Threads);
            var detect = new DetectService(WorkspaceStorage.OpenDetectionStore(catalog), blobs, detector, workspace.Config.Detector, run.Time, run.Logging.CreateLogger<DetectService>());
            var detected = await run.WithProgressAsync("Detect vehicles", p => detect.RunAsync(new DetectRequest(), new DetectProgressAdapter(p), ct)).ConfigureAwait(false);
            steps.Add(new
            {
                stage = "detect", model = detector.Model.Path, modelSha256 = detector.Model.Sha256, detected.Processed, detected.NoVehicle, detected.OneVehicle,
                detected.SeveralVehicles, detected.CropsCreated, failed = detected.Failed.Count,
            });
            var counts = await catalog.CountAsync(ct).ConfigureAwait(false);

            if (run.IsJson)
            {
                run.WriteJson(new
                {
                    workspace = workspace.Root,
                    assets = assetsDir,
                    steps,
                    catalog = new { path = catalog.Location, counts },
                    blobs = blobs.Location,
                    missingStages = MissingStages,
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Stage", "Result");
            table.AddRow("ingest cars", $"{carsSummary.Added} added, {carsSummary.Duplicates} duplicates, {carsSummary.NearDuplicates} near-duplicates, {carsSummary.Rejected.Count} rejected (label hints from folders)");
            table.AddRow("ingest scenes", $"{scenesSummary.Added} added, {scenesSummary.Duplicates} duplicates, {scenesSummary.NearDuplicates} near-duplicates, {scenesSummary.Rejected.Count} rejected");
            table.AddRow("detect vehicles", $"{detected.Processed} images: {detected.NoVehicle} without a vehicle, {detected.OneVehicle} with one, {detected.SeveralVehicles} with several; {detected.CropsCreated} crops, {detected.Failed.Count} failed");
            foreach (var stage in MissingStages) table.AddRow(Markup.Escape(stage), "[grey]not built yet[/]");
            run.Console.Write(table);
            run.Console.WriteLine("Artefacts:");
            run.Console.WriteLine($"  workspace  {workspace.Root}");
            run.Console.WriteLine($"  catalog    {catalog.Location} ({counts.Originals} images, {counts.Crops} vehicle crops, {counts.NearDuplicateClusters} near-duplicate clusters)");
            run.Console.WriteLine($"  blobs      {blobs.Location}");
            run.Console.WriteLine($"Try: ./skillmaker images list --kind crop --workspace {workspace.Root}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string LocateAssets(CommandRun run, string? given)
    {
        if (given is not null)
        {
            var full = run.ResolvePath(given);
            return Directory.Exists(full) ? full : throw new SkillmakerException($"--assets {full} does not exist; expected a folder with cars/ and scenes/.");
        }
        var (found, looked) = AssetLocator.Locate(run.Host.Environment, run.Host.CurrentDirectory, AppContext.BaseDirectory);
        return found ?? throw new SkillmakerException($"Demo assets not found. Looked in: {(looked.Count == 0 ? "(no repository found above the current folder)" : string.Join("; ", looked))}. Pass --assets DIR or set ${AssetLocator.EnvironmentVariable}.");
    }

    /// <summary>A demo always starts clean, but only a folder the demo itself made is ever wiped.</summary>
    private static async Task<Workspace> CreateFreshAsync(string root, CancellationToken ct)
    {
        var state = Path.Combine(root, Workspace.DirectoryName);
        if (Directory.Exists(state))
        {
            if (!File.Exists(Path.Combine(state, DemoMarker)))
                throw new SkillmakerException($"{root} already holds a workspace that the demo did not create; choose another folder with --workspace.");
            Directory.Delete(state, recursive: true);
        }
        var workspace = await Workspace.InitAsync(root, seed: 20261123, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(state, DemoMarker), "Created by `skillmaker demo`; the next demo run may delete this workspace.\n", ct).ConfigureAwait(false);
        return workspace;
    }

    private sealed class DetectProgressAdapter(IProgress<(int Done, int Total)> inner) : IProgress<DetectProgress>
    {
        public void Report(DetectProgress value) => inner.Report((value.Completed, value.Total));
    }

    private sealed class IngestProgressAdapter(IProgress<(int Done, int Total)> inner) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => inner.Report((value.Completed, value.Total));
    }
}
