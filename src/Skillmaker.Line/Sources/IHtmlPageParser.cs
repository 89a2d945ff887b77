namespace Skillmaker.Sources;

/// <summary>Reads what a crawl needs from an HTML page: links to follow, images, a label hint.
/// Implementations are tolerant of broken markup and thread-safe.</summary>
public interface IHtmlPageParser
{
    ParsedPage Parse(ReadOnlyMemory<byte> html, string? charset, Uri pageUrl, PageRules rules);

    /// <summary>Why <paramref name="selector"/> is not a usable CSS selector, or null.</summary>
    string? ValidateSelector(string selector);
}

/// <summary>What to take from a page.</summary>
public sealed record PageRules
{
    /// <summary>CSS selector of the images to take; a matched element that is not an img contributes
    /// the imgs inside it (e.g. <c>.gallery</c>). Default <c>img</c>: every image.</summary>
    public string ImageSelector { get; init; } = "img";

    /// <summary>CSS selector whose first match's text (a meta's content, an img's alt) is the label
    /// hint, e.g. <c>h1.title</c>. Used when the JSON-LD fields give nothing.</summary>
    public string? LabelSelector { get; init; }

    /// <summary>Dotted JSON-LD paths joined with spaces into the label hint, e.g. <c>brand.name</c>
    /// and <c>model</c> give "Audi S4 Sedan". Taken from the first object that has them all.</summary>
    public IReadOnlyList<string> LabelJsonLd { get; init; } = [];
}

public sealed record ParsedPage
{
    public string? Title { get; init; }
    /// <summary>Absolute http(s) links, without fragments, de-duplicated, in page order.</summary>
    public IReadOnlyList<Uri> Links { get; init; } = [];
    /// <summary>Images in page order; for a srcset, its largest candidate.</summary>
    public IReadOnlyList<PageImage> Images { get; init; } = [];
    public PageLabel? Label { get; init; }
    /// <summary>A robots meta tag says nofollow (or none): links are not followed.</summary>
    public bool NoFollow { get; init; }
    /// <summary>A robots meta tag says noindex, noimageindex or none: no images are taken.</summary>
    public bool NoImages { get; init; }
}

public sealed record PageImage(Uri Url, string? Alt);

/// <summary>A label hint and the rule that produced it, e.g. <c>css:h1.title</c> or <c>jsonld:brand.name+model</c>.</summary>
public sealed record PageLabel(string Value, string Rule);
