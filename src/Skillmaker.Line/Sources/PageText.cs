using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Skillmaker.Sources;

/// <summary>The parts of page reading that need no HTML parser: srcset candidates, JSON-LD fields,
/// label text, link cleaning. Shared by every <see cref="IHtmlPageParser"/>.</summary>
public static class PageText
{
    /// <summary>Longest label hint kept; longer text is a paragraph, not a label.</summary>
    public const int MaxLabelLength = 200;

    /// <summary>The URL of the largest candidate of a srcset (WHATWG syntax: "URL [N w | N x], ...").
    /// Width descriptors win over density ones; a candidate without a descriptor counts as 1x.</summary>
    public static string? LargestSrcsetCandidate(string? srcset)
    {
        if (string.IsNullOrWhiteSpace(srcset)) return null;
        string? bestUrl = null;
        (int Kind, double Size) best = (-1, 0); // kind: 0 density, 1 width
        var i = 0;
        while (i < srcset.Length)
        {
            while (i < srcset.Length && (char.IsWhiteSpace(srcset[i]) || srcset[i] == ',')) i++;
            if (i >= srcset.Length) break;
            var start = i;
            while (i < srcset.Length && !char.IsWhiteSpace(srcset[i])) i++;
            var url = srcset[start..i];
            string descriptor = "";
            if (url.EndsWith(','))
                url = url.TrimEnd(',');
            else
            {
                // Descriptors run to the next comma outside parentheses.
                var depth = 0;
                start = i;
                while (i < srcset.Length && !(srcset[i] == ',' && depth == 0))
                {
                    depth += srcset[i] == '(' ? 1 : srcset[i] == ')' ? -1 : 0;
                    i++;
                }
                descriptor = srcset[start..i].Trim();
            }
            if (url.Length == 0) continue;
            var candidate = ParseDescriptor(descriptor);
            if (candidate is null) continue;
            if (candidate.Value.Kind > best.Kind || (candidate.Value.Kind == best.Kind && candidate.Value.Size > best.Size))
            {
                best = candidate.Value;
                bestUrl = url;
            }
        }
        return bestUrl;
    }

    private static (int Kind, double Size)? ParseDescriptor(string descriptor)
    {
        (int Kind, double Size)? density = null;
        foreach (var token in descriptor.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length < 2 || !double.TryParse(token[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0) continue;
            if (token[^1] is 'w' or 'W') return (1, n);
            if (token[^1] is 'x' or 'X') density ??= (0, n);
        }
        return density ?? (descriptor.Length == 0 || descriptor.EndsWith('h') ? (0, 1) : null);
    }

    /// <summary>The label the JSON-LD scripts give for <paramref name="paths"/>: the first object (depth
    /// first, document order) in which every path leads to a value, the values joined with spaces.
    /// A path runs through objects by key and through arrays by their first element; a string where an
    /// object was expected stands for its name (so <c>brand.name</c> also reads <c>"brand": "Audi"</c>).</summary>
    public static string? FromJsonLd(IEnumerable<string> scripts, IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return null;
        foreach (var script in scripts)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(script, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
            }
            catch (JsonException)
            {
                continue; // broken JSON-LD is common; the page may still have a CSS rule
            }
            using (document)
            {
                foreach (var candidate in Objects(document.RootElement))
                {
                    var values = paths.Select(p => Resolve(candidate, p.Split('.'))).ToList();
                    if (values.TrueForAll(v => v is not null)) return CleanLabel(string.Join(' ', values));
                }
            }
        }
        return null;
    }

    private static IEnumerable<JsonElement> Objects(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var property in element.EnumerateObject())
                foreach (var inner in Objects(property.Value)) yield return inner;
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                foreach (var inner in Objects(item)) yield return inner;
        }
    }

    private static string? Resolve(JsonElement element, string[] path)
    {
        foreach (var (segment, index) in path.Select((s, i) => (s, i)))
        {
            while (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0) element = element[0];
            if (element.ValueKind == JsonValueKind.String && index == path.Length - 1 && segment == "name") break;
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element)) return null;
        }
        while (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0) element = element[0];
        var text = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>Collapses white space; null for empty or over-long text.</summary>
    public static string? CleanLabel(string? text)
    {
        if (text is null) return null;
        var builder = new StringBuilder(text.Length);
        foreach (var part in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            builder.Append(builder.Length > 0 ? " " : "").Append(part);
        return builder.Length is > 0 and <= MaxLabelLength ? builder.ToString() : null;
    }

    /// <summary>An href or src made absolute against the page, if it is an http(s) URL; without its fragment.</summary>
    public static Uri? Resolve(Uri page, string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) return null;
        if (!Uri.TryCreate(page, reference.Trim(), out var url)) return null;
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) return null;
        return url.Fragment.Length == 0 ? url : new UriBuilder(url) { Fragment = "" }.Uri;
    }
}
