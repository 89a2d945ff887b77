namespace Skillmaker.Crowd;

/// <summary>One answer option: the stored value, the plain wording a worker reads, and its key.</summary>
public sealed record AnswerOption(string Value, string Text, char Key);

/// <summary>The two questions a crowd worker answers about one crop. Wording is plain on purpose:
/// workers answer simple, unambiguous questions well.</summary>
public static class CrowdQuestions
{
    public const string Unsure = "unsure";

    public static readonly IReadOnlyList<AnswerOption> Content =
    [
        new("interior", "Inside of the vehicle", '1'),
        new("exterior", "Outside, more than half of the vehicle visible", '2'),
        new("close-up", "Outside, less than half of the vehicle visible", '3'),
        new("close-up-text", "Close-up with readable text (badge, plate, sticker)", '4'),
        new("obstructed", "Vehicle hidden behind something", '5'),
        new("opening-mechanism", "Door handle, lock or opening mechanism", '6'),
        new("wheel", "Wheel or tyre", '7'),
        new(Unsure, "I am not sure", '8'),
    ];

    public static readonly IReadOnlyList<AnswerOption> Quality =
    [
        new("good", "Sharp and clear", 'a'),
        new("blurry", "Blurry", 's'),
        new("low-resolution", "Low resolution (pixelated)", 'd'),
        new("distorted", "Distorted (stretched, warped, odd colours)", 'f'),
        new(Unsure, "Other problem, or not sure", 'g'),
    ];

    public static bool IsContent(string value) => Content.Any(o => o.Value == value);
    public static bool IsQuality(string value) => Quality.Any(o => o.Value == value);

    public static string ValidateContent(string? value, string where) =>
        value is not null && IsContent(value) ? value
            : throw new Common.SkillmakerException($"{where}: content '{value}' is not an answer; expected one of: {string.Join(", ", Content.Select(o => o.Value))}.");

    public static string ValidateQuality(string? value, string where) =>
        value is not null && IsQuality(value) ? value
            : throw new Common.SkillmakerException($"{where}: quality '{value}' is not an answer; expected one of: {string.Join(", ", Quality.Select(o => o.Value))}.");
}
