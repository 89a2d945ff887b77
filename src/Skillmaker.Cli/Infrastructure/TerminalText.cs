using System.Runtime.CompilerServices;
using Spectre.Console;
using Skillmaker.Common;

namespace Skillmaker.Cli.Infrastructure;

/// <summary>Untrusted text (file names, labels, URLs, reasons that quote them) made safe for a terminal:
/// control characters, including the escape that starts a terminal sequence, and the bidirectional
/// overrides that reorder what is shown, are printed as visible escapes (<c>\x1b</c>, <c>\u202e</c>)
/// instead of being obeyed. Human output only; JSON escapes them by itself.</summary>
public static class TerminalText
{
    /// <summary>The text with every control or bidi-override character written as an escape (see <see cref="PrintableText"/>).</summary>
    public static string Safe(string? text) => PrintableText.Of(text);

    /// <summary><see cref="Safe"/>, then escaped for Spectre markup (a table cell, a markup line).</summary>
    public static string Escape(string? text) => Markup.Escape(Safe(text));

    /// <summary>MarkupLineInterpolated with every string argument made <see cref="Safe"/> first.</summary>
    public static void SafeMarkupLine(this IAnsiConsole console, FormattableString line) =>
        console.MarkupLineInterpolated(FormattableStringFactory.Create(line.Format, [.. line.GetArguments().Select(a => a is string s ? Safe(s) : a)]));
}
