using System.Globalization;
using System.Text;

namespace Skillmaker.Common;

/// <summary>Untrusted text (file names, labels, URLs, reasons that quote them) made safe to print to a
/// terminal: control characters, including the escape that starts a terminal sequence, and the
/// bidirectional overrides that reorder what is shown, are written as visible escapes (<c>\x1b</c>,
/// <c>\u202e</c>) instead of being obeyed. For the plain lines every host prints (the CLI, the server).</summary>
public static class PrintableText
{
    /// <summary>The text with every control or bidi-override character written as an escape.</summary>
    public static string Of(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Any(IsUnsafe)) return text;
        var safe = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!IsUnsafe(c)) safe.Append(c);
            else if (c <= 0xFF) safe.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else safe.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return safe.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) // C0, DEL and C1 (0x80-0x9f: CSI and friends)
        || c is '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
