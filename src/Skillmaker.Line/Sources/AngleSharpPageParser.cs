using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Skillmaker.Imaging;

namespace Skillmaker.Sources;

/// <summary>Reads pages with AngleSharp, which parses HTML the way browsers do (broken markup included)
/// and evaluates CSS selectors. Lazy-loading attributes (data-src, data-srcset) count as src and srcset,
/// and a picture's sources join its img's candidates.</summary>
public sealed class AngleSharpPageParser : IHtmlPageParser
{
    private static readonly HtmlParserOptions Options = new() { IsScripting = false, IsNotConsumingCharacterReferences = false };

    public ParsedPage Parse(ReadOnlyMemory<byte> html, string? charset, Uri pageUrl, PageRules rules)
    {
        var parser = new HtmlParser(Options);
        using var document = KnownEncoding(charset) is { } encoding
            ? parser.ParseDocument(encoding.GetString(html.Span))
            : parser.ParseDocument(new MemoryStream(html.ToArray(), writable: false));

        var baseUrl = PageText.Resolve(pageUrl, document.QuerySelector("base[href]")?.GetAttribute("href")) ?? pageUrl;
        var robots = string.Join(',', document.QuerySelectorAll("meta[name]")
            .Where(m => string.Equals(m.GetAttribute("name"), "robots", StringComparison.OrdinalIgnoreCase))
            .Select(m => m.GetAttribute("content") ?? "")).ToLowerInvariant();
        var directives = robots.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

        return new ParsedPage
        {
            Title = PageText.CleanLabel(document.Title),
            Links = [.. document.QuerySelectorAll("a[href], area[href]")
                .Select(a => PageText.Resolve(baseUrl, a.GetAttribute("href")))
                .OfType<Uri>().Distinct()],
            Images = [.. Images(document, rules.ImageSelector, baseUrl).DistinctBy(i => i.Url)],
            Label = Label(document, rules),
            NoFollow = directives.Contains("nofollow") || directives.Contains("none"),
            NoImages = directives.Contains("noindex") || directives.Contains("noimageindex") || directives.Contains("none"),
        };
    }

    public string? ValidateSelector(string selector)
    {
        try
        {
            using var document = new HtmlParser().ParseDocument("<html></html>");
            document.QuerySelector(selector);
            return null;
        }
        catch (DomException ex)
        {
            return $"'{selector}' is not a valid CSS selector ({ex.Message}); expected e.g. h1.title or .gallery img";
        }
    }

    private static IEnumerable<PageImage> Images(IDocument document, string selector, Uri baseUrl)
    {
        foreach (var element in document.QuerySelectorAll(selector))
        {
            var images = element is IHtmlImageElement ? [element] : element.QuerySelectorAll("img").ToList();
            foreach (var img in images)
            {
                var candidates = new List<string>();
                if (img.ParentElement is IHtmlPictureElement picture)
                    candidates.AddRange(picture.Children.Where(c => c is IHtmlSourceElement && IsDecodable(c.GetAttribute("type")))
                        .Select(c => c.GetAttribute("srcset") ?? c.GetAttribute("data-srcset") ?? ""));
                candidates.Add(img.GetAttribute("srcset") ?? img.GetAttribute("data-srcset") ?? "");
                var src = img.GetAttribute("src");
                // A lazy-loading page puts a placeholder in src until a script swaps in data-src.
                var chosen = PageText.LargestSrcsetCandidate(string.Join(", ", candidates.Where(c => c.Length > 0)))
                    ?? (IsPlaceholder(src) ? img.GetAttribute("data-src") ?? img.GetAttribute("data-lazy-src") : src);
                if (PageText.Resolve(baseUrl, chosen) is { } url)
                    yield return new PageImage(url, PageText.CleanLabel(img.GetAttribute("alt")));
            }
        }
    }

    private static bool IsPlaceholder(string? src) =>
        string.IsNullOrWhiteSpace(src) || src.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    private static bool IsDecodable(string? type) =>
        string.IsNullOrWhiteSpace(type) || ImageFormatSniffer.Supported.Any(f => type.Trim().Equals($"image/{ImageFormatSniffer.Name(f)}", StringComparison.OrdinalIgnoreCase));

    private static PageLabel? Label(IDocument document, PageRules rules)
    {
        if (rules.LabelJsonLd.Count > 0)
        {
            var scripts = document.QuerySelectorAll("script").Where(s => string.Equals(s.GetAttribute("type")?.Trim(), "application/ld+json", StringComparison.OrdinalIgnoreCase)).Select(s => s.TextContent);
            if (PageText.FromJsonLd(scripts, rules.LabelJsonLd) is { } fromJson)
                return new PageLabel(fromJson, $"jsonld:{string.Join('+', rules.LabelJsonLd)}");
        }
        if (rules.LabelSelector is { } selector && document.QuerySelector(selector) is { } element)
        {
            var text = element switch
            {
                IHtmlMetaElement meta => meta.Content,
                IHtmlImageElement img => img.AlternativeText,
                IHtmlInputElement input => input.Value,
                _ => element.TextContent,
            };
            if (PageText.CleanLabel(text) is { } fromCss) return new PageLabel(fromCss, $"css:{selector}");
        }
        return null;
    }

    private static Encoding? KnownEncoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset)) return null;
        try
        {
            return Encoding.GetEncoding(charset.Trim('"', '\'', ' '));
        }
        catch (ArgumentException)
        {
            return null; // let the parser find it in the page (BOM, meta charset)
        }
    }
}
