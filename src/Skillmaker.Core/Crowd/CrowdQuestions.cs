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

    /// <summary>An option's key for instructions: "content:exterior", "quality:blurry".</summary>
    public static string OptionKey(string question, string value) => $"{question}:{value}";

    /// <summary>Every option of both questions with its key, question 1 first.</summary>
    public static IEnumerable<(string Key, string Question, AnswerOption Option)> AllOptions =>
        Content.Select(o => (OptionKey("content", o.Value), "content", o)).Concat(Quality.Select(o => (OptionKey("quality", o.Value), "quality", o)));

    /// <summary>What a worker reads about an option until an admin writes something better.</summary>
    public static string DefaultInstruction(string key) => key switch
    {
        "content:interior" => "Seats, dashboard, steering wheel or boot seen from inside.",
        "content:exterior" => "The body of the vehicle from outside, more than half of it in the picture.",
        "content:close-up" => "A part of the outside (a lamp, a door, the bonnet): less than half of the vehicle.",
        "content:close-up-text" => "A part you can read: a badge, a number plate, a sticker.",
        "content:obstructed" => "A vehicle mostly hidden by another car, a person, a tree or a fence.",
        "content:opening-mechanism" => "A door handle, a lock, a boot or fuel flap release.",
        "content:wheel" => "A wheel, rim or tyre fills most of the picture.",
        "content:unsure" => "Choose this rather than guess; the picture goes to other people.",
        "quality:good" => "Sharp edges; you could recognise the vehicle again.",
        "quality:blurry" => "Smeared by movement or out of focus.",
        "quality:low-resolution" => "Tiny or blocky: you see the pixels.",
        "quality:distorted" => "Stretched, squeezed, warped, or with odd colours.",
        "quality:unsure" => "Another problem (too dark, cut off), or you cannot tell.",
        _ => "",
    };

    public static bool IsContent(string value) => Content.Any(o => o.Value == value);
    public static bool IsQuality(string value) => Quality.Any(o => o.Value == value);

    public static string ValidateContent(string? value, string where) =>
        value is not null && IsContent(value) ? value
            : throw new Common.SkillmakerException($"{where}: content '{value}' is not an answer; expected one of: {string.Join(", ", Content.Select(o => o.Value))}.");

    public static string ValidateQuality(string? value, string where) =>
        value is not null && IsQuality(value) ? value
            : throw new Common.SkillmakerException($"{where}: quality '{value}' is not an answer; expected one of: {string.Join(", ", Quality.Select(o => o.Value))}.");
}
