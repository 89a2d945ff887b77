using System.Text.Json.Serialization;

namespace Skillmaker.Augmentation;

/// <summary>One step of an augmentation pipeline, applied with probability <see cref="P"/>. Steps run in
/// a fixed order whatever order they are listed in: box, rotate, flips, hsv, occlusion, copy-paste.
/// JSON: <c>{"op": "rotate", "p": 0.5, "degrees": 10}</c>.</summary>
public sealed record AugmentationStep
{
    /// <summary>hflip, vflip, rotate, box, occlude, copy-paste, hsv.</summary>
    public string Op { get; init; } = "";

    /// <summary>Probability the step is applied to a copy, in [0, 1]. Default 0.5.</summary>
    public double P { get; init; } = 0.5;

    /// <summary>rotate: largest rotation either way, in degrees (0..45). Default 10.</summary>
    public double Degrees { get; init; } = 10;

    /// <summary>box: largest enlargement or shrink of the crop box, in percent (0..50). Default 10.</summary>
    public double Percent { get; init; } = 10;

    /// <summary>occlude, copy-paste: largest covered share of the image (0..0.5). Default 0.2.</summary>
    public double MaxArea { get; init; } = 0.2;

    /// <summary>hsv: largest hue shift in degrees (0..180). Default 10.</summary>
    public double Hue { get; init; } = 10;

    /// <summary>hsv: largest relative saturation change (0..1). Default 0.2.</summary>
    public double Saturation { get; init; } = 0.2;

    /// <summary>hsv: largest relative brightness change (0..1). Default 0.2.</summary>
    public double Value { get; init; } = 0.2;

    [JsonIgnore]
    public int Order => Array.IndexOf(AugmentationSteps.Ops, Op);
}

public static class AugmentationSteps
{
    public static readonly string[] Ops = ["box", "rotate", "hflip", "vflip", "hsv", "occlude", "copy-paste"];

    /// <summary>Default pipeline: everything but vertical flips (cars are rarely upside down).</summary>
    public static readonly IReadOnlyList<AugmentationStep> Defaults =
    [
        new() { Op = "hflip", P = 0.5 },
        new() { Op = "rotate", P = 0.5, Degrees = 8 },
        new() { Op = "box", P = 0.5, Percent = 10 },
        new() { Op = "hsv", P = 0.5 },
        new() { Op = "occlude", P = 0.2, MaxArea = 0.15 },
        new() { Op = "copy-paste", P = 0.2, MaxArea = 0.15 },
    ];

    /// <summary>Errors name the step by its index in the list (e.g. augmentations[2].degrees).</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<AugmentationStep> steps, string field = "augmentations")
    {
        var errors = new List<string>();
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var at = $"{field}[{i}]";
            if (!Ops.Contains(s.Op)) { errors.Add($"{at}.op: '{s.Op}' is not an augmentation; allowed: {string.Join(", ", Ops)}"); continue; }
            if (s.P is < 0 or > 1) errors.Add($"{at}.p: {s.P} is outside [0, 1]");
            if (s.Op == "rotate" && s.Degrees is < 0 or > 45) errors.Add($"{at}.degrees: {s.Degrees} is outside [0, 45]");
            if (s.Op == "box" && s.Percent is < 0 or > 50) errors.Add($"{at}.percent: {s.Percent} is outside [0, 50]");
            if (s.Op is "occlude" or "copy-paste" && s.MaxArea is <= 0 or > 0.5) errors.Add($"{at}.maxArea: {s.MaxArea} is outside (0, 0.5]");
            if (s.Op == "hsv")
            {
                if (s.Hue is < 0 or > 180) errors.Add($"{at}.hue: {s.Hue} is outside [0, 180]");
                if (s.Saturation is < 0 or > 1) errors.Add($"{at}.saturation: {s.Saturation} is outside [0, 1]");
                if (s.Value is < 0 or > 1) errors.Add($"{at}.value: {s.Value} is outside [0, 1]");
            }
        }
        foreach (var dup in steps.GroupBy(s => s.Op).Where(g => g.Count() > 1))
            errors.Add($"{field}: '{dup.Key}' is listed {dup.Count()} times; list each step once");
        return errors;
    }
}
