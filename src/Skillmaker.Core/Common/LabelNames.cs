using System.Text.RegularExpressions;

namespace Skillmaker.Common;

/// <summary>The one rule for label names, at ingest (hints from folders, manifests, downloads) and in
/// review (confirm, relabel): 1-80 characters, letters, digits, space and <c>_ - . / , ( ) ' + &amp;</c>.
/// So no markup (<c>&lt;script&gt;</c>, quotes, brackets), no control characters or terminal escapes, and
/// every hint that enters the catalog can later be confirmed as it is.</summary>
public static partial class LabelNames
{
    public const int MaxLength = 80;
    public const string Rule = "1-80 characters: letters, digits, space and _ - . / , ( ) ' + &";

    public static bool IsValid(string? label) => label is not null && Pattern().IsMatch(label);

    /// <summary>Why <paramref name="label"/> is no label name, quoting it safely (control characters
    /// escaped, cut at 100 characters); null when it is one.</summary>
    public static string? Problem(string? label) => IsValid(label) ? null : $"label '{Quote(label)}' is not valid; expected {Rule}";

    private static string Quote(string? label)
    {
        var text = label ?? "";
        if (text.Length > 100) text = text[..100] + "…";
        return string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    [GeneratedRegex(@"^[\p{L}\p{N} _\-./,()'+&]{1,80}$")]
    private static partial Regex Pattern();
}
