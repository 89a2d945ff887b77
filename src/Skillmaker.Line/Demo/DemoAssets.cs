using Skillmaker.Detection;
using Skillmaker.Common;

namespace Skillmaker.Demo;

/// <summary>The models and photos the demo runs on, all checked before anything is written.</summary>
public sealed record DemoAssets
{
    public const string BackboneInAssets = "backbone/mobilenetv2-12-int8-features.onnx";
    public const string CarLabelsFile = "labels.csv";

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    public required string Root { get; init; }
    /// <summary>Car photos, one folder per class (the folder name is the label hint).</summary>
    public required string Cars { get; init; }
    /// <summary>Photos that are not clean single-car shots (streets, interiors, no vehicle).</summary>
    public required string Scenes { get; init; }
    public required string Detector { get; init; }
    public required string Backbone { get; init; }
    /// <summary><c>cars/labels.csv</c> (file, make, ...) when present: gives each class folder its make.</summary>
    public string? CarLabels { get; init; }

    /// <summary>Finds the assets (<paramref name="given"/>, else <c>$SKILLMAKER_ASSETS</c>, else
    /// <c>../shared/assets</c> beside the repository) and checks that everything the demo needs is there.
    /// Throws naming every missing file or folder, what it is, and every place looked at.</summary>
    public static DemoAssets Locate(string? given, Func<string, string?> environment, params string[] startFolders)
    {
        string? root;
        IReadOnlyList<string> looked;
        if (given is not null)
        {
            root = Path.GetFullPath(given);
            looked = [$"{root} (the assets folder given)"];
            if (!Directory.Exists(root)) root = null;
        }
        else
            (root, looked) = AssetLocator.Locate(environment, startFolders);

        var needs = Needs(root ?? "ASSETS");
        if (root is null)
            throw new SkillmakerException(
                "The demo's models and photos were not found. Looked for the assets folder in:\n" + Lines(looked.DefaultIfEmpty("(no repository with Skillmaker.slnx above the current folder or the program)")) +
                "\nThe demo needs a folder with:\n" + Lines(needs.Select(n => $"{n.Relative}: {n.What}")) +
                $"\nGive the assets folder, or set ${AssetLocator.EnvironmentVariable} (the shared assets are described in their MANIFEST.md).");

        var missing = needs.Where(n => !n.Present()).ToList();
        if (missing.Count > 0)
            throw new SkillmakerException(
                $"The demo assets in {root} are incomplete; missing:\n" + Lines(missing.Select(n => $"{n.Relative}: {n.What}; looked at {n.Path}")) +
                "\nAssets folder found via:\n" + Lines(looked) +
                $"\nPut the missing files there, or give the folder of a complete copy (or set ${AssetLocator.EnvironmentVariable} to it).");

        var labels = Path.Combine(root, "cars", CarLabelsFile);
        return new DemoAssets
        {
            Root = root,
            Cars = Path.Combine(root, "cars"),
            Scenes = Path.Combine(root, "scenes"),
            Detector = Path.Combine(root, DetectorSetup.DefaultModelInAssets),
            Backbone = Path.Combine(root, BackboneInAssets),
            CarLabels = File.Exists(labels) ? labels : null,
        };
    }

    /// <summary>Image files directly in <paramref name="folder"/>, sorted by name.</summary>
    public static IReadOnlyList<string> ImagesIn(string folder) => Directory.Exists(folder)
        ? [.. Directory.EnumerateFiles(folder).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>Class folders of <paramref name="cars"/> that hold at least one image, sorted.</summary>
    public static IReadOnlyList<string> ClassFolders(string cars) => Directory.Exists(cars)
        ? [.. Directory.EnumerateDirectories(cars).Where(d => ImagesIn(d).Count > 0).Order(StringComparer.Ordinal)]
        : [];

    private sealed record Need(string Relative, string What, string Path, Func<bool> Present);

    private static List<Need> Needs(string root)
    {
        var cars = Path.Combine(root, "cars");
        var scenes = Path.Combine(root, "scenes");
        var detector = Path.Combine(root, DetectorSetup.DefaultModelInAssets);
        var backbone = Path.Combine(root, BackboneInAssets);
        return
        [
            new("cars/", "car photos, one folder per class named by its label (e.g. cars/audi_s4_sedan_2012/*.jpg), at least two classes", cars, () => ClassFolders(cars).Count >= 2),
            new("scenes/", "photos that are not single-car shots, including at least one without any vehicle (*.jpg, *.png)", scenes, () => ImagesIn(scenes).Count > 0),
            new(DetectorSetup.DefaultModelInAssets, "the YOLO vehicle detector (ONNX, Ultralytics export)", detector, () => File.Exists(detector)),
            new(BackboneInAssets, "the frozen backbone (ONNX with a 'features' output)", backbone, () => File.Exists(backbone)),
        ];
    }

    private static string Lines(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => "  - " + l));
}
