using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Vision.Detection;
using Skillmaker.Workspaces;
using Skillmaker.Host;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker detect</c>: finds vehicles in every image the model has not seen yet and cuts
/// one crop per vehicle; <c>--file</c> runs the detector on loose images without a workspace.</summary>
public static class DetectCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var model = new Option<string?>("--model") { Description = $"YOLO ONNX model (default: detector.model from the workspace config, else ${AssetLocator.EnvironmentVariable}/{DetectorSetup.DefaultModelInAssets})", HelpName = "PATH" };
        var labels = new Option<string?>("--labels") { Description = "Class names, one per line; only needed when the model has no 'names' metadata (default: detector.labels, else MODEL.txt, labels.txt or coco80.txt beside the model)", HelpName = "FILE" };
        var classes = new Option<string?>("--classes") { Description = "Comma-separated classes that are vehicles to crop (default: detector.classes, else car,truck,bus,motorcycle)", HelpName = "LIST" };
        var minScore = new Option<float?>("--min-score") { Description = "Lowest class score kept (default: detector.minScore, else 0.25)", HelpName = "0..1" };
        var iou = new Option<float?>("--iou") { Description = "NMS IoU threshold within a class (default: detector.iou, else 0.45)", HelpName = "0..1" };
        var padding = new Option<float?>("--padding") { Description = "Crop margin as a fraction of the box size on each side (default: detector.padding, else 0.05)", HelpName = "FRACTION" };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime threads (default: detector.threads, else 0 = one per core)", HelpName = "N" };
        var files = new Option<string[]>("--file", "-f") { Description = "Detect on this image file only, without a workspace; nothing is recorded. Takes several files (--file *.jpg) and is repeatable", HelpName = "IMAGE", AllowMultipleArgumentsPerToken = true };
        var preview = new Option<string?>("--preview") { Description = "Also write every processed image with its boxes drawn into this folder (kept vehicles green, other detections orange)", HelpName = "DIR" };
        var limit = new Option<int>("--limit") { Description = "Process at most this many pending images (default: all)", DefaultValueFactory = _ => int.MaxValue, HelpName = "N" };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() <= 0) r.AddError("--limit must be a positive number"); });

        var command = new Command("detect", "Find vehicles in every image not yet processed by this model; record every detection and one crop per vehicle")
        {
            model, labels, classes, minScore, iou, padding, threads, files, preview, limit,
        };
        var jobs = new JobOptions();
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var overrides = new DetectorOverrides
            {
                Model = parse.GetValue(model) is { } m ? run.ResolvePath(m) : null,
                Labels = parse.GetValue(labels) is { } l ? run.ResolvePath(l) : null,
                Classes = parse.GetValue(classes) is { } c ? [.. c.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)] : null,
                MinScore = parse.GetValue(minScore),
                Iou = parse.GetValue(iou),
                Padding = parse.GetValue(padding),
                Threads = parse.GetValue(threads),
            };
            var previewDir = parse.GetValue(preview) is { } p ? run.ResolvePath(p) : null;
            var adHoc = parse.GetValue(files) ?? [];
            if (adHoc.Length > 0)
                return await DetectFilesAsync(run, overrides, [.. adHoc.Select(run.ResolvePath)], previewDir, ct);

            await using var line = await run.OpenLineAsync(ct);
            var onWorkers = jobs.OnWorkers(parse, line.Workspace);
            if (onWorkers && previewDir is not null)
                throw new UsageException("--preview writes files where the work runs, and these jobs run on workers; add --local to detect here with previews.");
            var prepared = await line.PrepareDetectorAsync(overrides, publish: true, ct);
            var (settings, detector) = prepared;
            var request = new DetectRequest { PreviewDirectory = previewDir, Limit = parse.GetValue(limit) };
            if (onWorkers) return await OnWorkersAsync(run, line, request, settings, detector, jobs.Detached(parse), ct);
            var service = line.Detect(prepared);
            var summary = await run.WithProgressAsync("Detecting", progress =>
                service.RunAsync(request, progress.Map((DetectProgress p) => (p.Completed, p.Total)), ct));
            return Report(run, summary, settings, previewDir);
        }));
        return command;
    }

    /// <summary>Stages the model, submits batch jobs and (unless detached) waits for them.</summary>
    private static async Task<int> OnWorkersAsync(CommandRun run, LineServices line, DetectRequest request, DetectorSettings settings, YoloDetector detector, bool detach, CancellationToken ct)
    {
        var dispatcher = await line.OpenJobsAsync(ct);
        var jobs = line.DetectJobs();
        var (runId, progress) = await jobs.SubmitAsync(request, detector, settings, Jobs.WorkspaceRef.Of(line.Workspace), dispatcher, ct);
        if (detach) return JobOptions.WriteDetached(run, DetectJobs.Kind, runId, progress);
        var record = await JobOptions.WaitAsync(run, dispatcher, runId, "Detecting on workers", ct);
        return record is null ? ExitCodes.Failed : Report(run, DetectJobs.Summarize(record), settings, null);
    }

    /// <summary>Prints the run's summary (JSON or tables); the exit code says whether it completed.</summary>
    public static int Report(CommandRun run, DetectSummary summary, DetectorSettings settings, string? previewDir)
    {
        if (run.IsJson) run.WriteJson(ToJson(summary, settings, previewDir));
        else Render(run, summary, previewDir);
        return summary.Interrupted ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> DetectFilesAsync(CommandRun run, DetectorOverrides overrides, IReadOnlyList<string> files, string? previewDir, CancellationToken ct)
    {
        Workspace? workspace = null;
        try
        {
            workspace = await run.OpenWorkspaceAsync(ct);
        }
        catch (SkillmakerException)
        {
            // Ad hoc use needs no workspace; when there is one, its detector settings apply.
        }
        var (settings, detector) = DetectorSetup.Prepare(workspace, overrides, run.Host.Environment, run.Host.CurrentDirectory, AppContext.BaseDirectory);
        if (previewDir is not null) Directory.CreateDirectory(previewDir);
        var results = new List<object>();
        var failed = 0;
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failed++;
                results.Add(Failure(run, file, ex is FileNotFoundException or DirectoryNotFoundException ? "file does not exist" : $"unreadable: {ex.Message}"));
                continue;
            }
            try
            {
                using var frame = detector.Detect(bytes, settings.Thresholds);
                var selection = VehicleSelection.Select(frame.Detections, settings, frame.Width, frame.Height);
                var vehicles = selection.Count(s => s.Role == DetectionRole.Vehicle);
                var outcome = DetectionOutcomes.FromCount(vehicles);
                string? previewPath = null;
                if (previewDir is not null)
                {
                    previewPath = Path.Combine(previewDir, $"{Path.GetFileNameWithoutExtension(file)}.detect.jpg");
                    await AtomicFile.WriteAllBytesAsync(previewPath, frame.RenderPreview([.. selection.Select(s => (s.Detection, s.Role == DetectionRole.Vehicle))]), ct);
                }
                results.Add(new
                {
                    file,
                    width = frame.Width,
                    height = frame.Height,
                    outcome = outcome.ToWire(),
                    vehicles,
                    detections = selection.Select(s => new
                    {
                        @class = s.Detection.ClassName,
                        score = Math.Round(s.Detection.Score, 4),
                        box = Box(s.Detection.Box),
                        role = RoleName(s.Role),
                        crop = s.CropRect is { } r ? new[] { r.X, r.Y, r.Width, r.Height } : null,
                    }),
                    preview = previewPath,
                });
                if (!run.IsJson) RenderFile(run, file, frame.Width, frame.Height, outcome, selection, previewPath);
            }
            catch (ImageDecodeException ex)
            {
                failed++;
                results.Add(Failure(run, file, $"cannot decode: {ex.Message}"));
            }
        }
        if (run.IsJson) run.WriteJson(new { model = ModelJson(detector.Model), settings = SettingsJson(settings), images = results, failed });
        return failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static object Failure(CommandRun run, string file, string error)
    {
        if (!run.IsJson) run.Console.SafeMarkupLine($"[red]failed[/] {file}: {error}");
        return new { file, outcome = DetectionOutcome.Failed.ToWire(), error };
    }

    private static void RenderFile(CommandRun run, string file, int width, int height, DetectionOutcome outcome, IReadOnlyList<SelectedDetection> selection, string? preview)
    {
        run.Console.SafeMarkupLine($"[bold]{file}[/] ({width}x{height}): {Describe(outcome)}");
        if (selection.Count > 0)
        {
            var table = new Table().AddColumns("Class", "Score", "Box (x1,y1,x2,y2)", "Role");
            foreach (var s in selection)
                table.AddRow(TerminalText.Escape(s.Detection.ClassName), s.Detection.Score.ToString("0.00", CultureInfo.InvariantCulture),
                    string.Join(", ", Box(s.Detection.Box)), RoleName(s.Role).Replace('_', ' '));
            run.Console.Write(table);
        }
        if (preview is not null) run.Console.WriteLine($"preview: {preview}");
    }

    private static object ToJson(DetectSummary s, DetectorSettings settings, string? previewDir) => new
    {
        runId = s.RunId,
        model = ModelJson(s.Model),
        settings = SettingsJson(settings),
        alreadyProcessed = s.AlreadyProcessed,
        processed = s.Processed,
        noVehicle = s.NoVehicle,
        oneVehicle = s.OneVehicle,
        severalVehicles = s.SeveralVehicles,
        cropsCreated = s.CropsCreated,
        failed = s.Failed.Select(f => new { imageId = f.ImageId, fileName = f.FileName, error = f.Error }),
        remaining = s.Remaining,
        interrupted = s.Interrupted,
        previewDirectory = previewDir,
        images = s.Images.Select(i => new
        {
            imageId = i.ImageId,
            fileName = i.FileName,
            outcome = i.Outcome.ToWire(),
            vehicles = i.Vehicles.Select(v => new
            {
                @class = v.ClassName,
                score = Math.Round(v.Score, 4),
                box = Box(v.Box),
                crop = new { id = v.CropId, x = v.CropRect.X, y = v.CropRect.Y, width = v.CropRect.Width, height = v.CropRect.Height },
            }),
            otherDetections = i.OtherDetections,
            error = i.Error,
        }),
    };

    private static object ModelJson(DetectorModel m) => new
    {
        path = m.Path, sha256 = m.Sha256, layout = m.OutputLayout, inputWidth = m.InputWidth, inputHeight = m.InputHeight,
        classes = m.ClassNames.Count, classNamesSource = m.ClassNamesSource, threads = m.Threads,
    };

    private static object SettingsJson(DetectorSettings s) => new
    {
        classes = s.Classes, minScore = s.MinScore, iou = s.Iou, vehicleMergeIou = s.VehicleMergeIou, padding = s.Padding, minCropSide = s.MinCropSide,
    };

    private static double[] Box(BoundingBox b) => [Math.Round(b.X1, 1), Math.Round(b.Y1, 1), Math.Round(b.X2, 1), Math.Round(b.Y2, 1)];

    private static string RoleName(DetectionRole role) => role switch
    {
        DetectionRole.Vehicle => "vehicle",
        DetectionRole.OtherClass => "other_class",
        DetectionRole.SameVehicle => "same_vehicle",
        DetectionRole.TooSmall => "too_small",
        _ => role.ToString(),
    };

    private static string Describe(DetectionOutcome outcome) => outcome switch
    {
        DetectionOutcome.None => "no vehicle",
        DetectionOutcome.One => "one vehicle",
        DetectionOutcome.Several => "several vehicles",
        _ => "failed",
    };

    private static void Render(CommandRun run, DetectSummary s, string? previewDir)
    {
        run.Console.WriteLine($"Model {s.Model.Path} (sha256 {s.Model.Sha256[..12]}, {s.Model.OutputLayout}, {s.Model.ClassNames.Count} classes)");
        var table = new Table().AddColumn("Result").AddColumn(new TableColumn("Images").RightAligned());
        table.AddRow("no vehicle", s.NoVehicle.ToString(CultureInfo.InvariantCulture));
        table.AddRow("one vehicle", s.OneVehicle.ToString(CultureInfo.InvariantCulture));
        table.AddRow("several vehicles", s.SeveralVehicles.ToString(CultureInfo.InvariantCulture));
        table.AddRow("failed", s.Failed.Count.ToString(CultureInfo.InvariantCulture));
        table.AddRow("already processed by this model", s.AlreadyProcessed.ToString(CultureInfo.InvariantCulture));
        run.Console.Write(table);
        run.Console.WriteLine($"{s.CropsCreated} crops created");
        foreach (var f in s.Failed) run.Console.SafeMarkupLine($"[yellow]failed[/] {f.FileName ?? f.ImageId} ({f.ImageId[..12]}): {f.Error}");
        if (s.Interrupted) run.Console.MarkupLine("[red]Interrupted.[/] Every recorded image is complete; run the same command again to finish.");
        else if (s.Remaining > 0) run.Console.WriteLine($"{s.Remaining} images still pending (--limit); run again to continue.");
        if (previewDir is not null) run.Console.WriteLine($"Previews in {previewDir}");
        run.Console.WriteLine($"Run {s.RunId}. See the crops: skillmaker images list --kind crop");
    }
}
