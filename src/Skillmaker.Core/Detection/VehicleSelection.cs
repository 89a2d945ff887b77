namespace Skillmaker.Detection;

/// <summary>What became of one detection.</summary>
public enum DetectionRole
{
    /// <summary>A vehicle of a wanted class: cropped, counted in the outcome.</summary>
    Vehicle,
    /// <summary>A class that is not wanted (a person, a dog): recorded only.</summary>
    OtherClass,
    /// <summary>A wanted class overlapping a better box of another wanted class: the same vehicle.</summary>
    SameVehicle,
    /// <summary>A wanted class, but its box is below the minimum crop side.</summary>
    TooSmall,
}

public sealed record SelectedDetection(DetectedObject Detection, DetectionRole Role, PixelRect? CropRect);

/// <summary>Turns a frame's detections into vehicles to crop. Pure: the same detections and settings
/// give the same selection.</summary>
public static class VehicleSelection
{
    public static IReadOnlyList<SelectedDetection> Select(IReadOnlyList<DetectedObject> detections, DetectorSettings settings, int imageWidth, int imageHeight)
    {
        var wanted = new HashSet<string>(settings.Classes, StringComparer.OrdinalIgnoreCase);
        var vehicles = detections.Where(d => wanted.Contains(d.ClassName)).ToList();
        var distinct = Nms.AcrossClasses(vehicles, settings.VehicleMergeIou).ToHashSet();
        var result = new List<SelectedDetection>(detections.Count);
        foreach (var d in detections.OrderByDescending(d => d.Score))
        {
            if (!wanted.Contains(d.ClassName)) result.Add(new(d, DetectionRole.OtherClass, null));
            else if (!distinct.Contains(d)) result.Add(new(d, DetectionRole.SameVehicle, null));
            else if (d.Box.Width < settings.MinCropSide || d.Box.Height < settings.MinCropSide) result.Add(new(d, DetectionRole.TooSmall, null));
            else result.Add(new(d, DetectionRole.Vehicle, PixelRect.Around(d.Box, settings.Padding, imageWidth, imageHeight)));
        }
        return result;
    }

    /// <summary>Names in <paramref name="classes"/> that the model does not know, for a clear error.</summary>
    public static IReadOnlyList<string> UnknownClasses(IEnumerable<string> classes, IReadOnlyList<string> modelClasses) =>
        [.. classes.Where(c => !modelClasses.Contains(c, StringComparer.OrdinalIgnoreCase))];
}
