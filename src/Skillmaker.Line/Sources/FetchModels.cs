using System.Diagnostics.CodeAnalysis;
using Skillmaker.Imaging;

namespace Skillmaker.Sources;

/// <summary>What a download is for: it decides the size limit and what the bytes must look like.</summary>
public enum FetchKind
{
    /// <summary>An HTML page; anything else is refused from its Content-Type.</summary>
    Page,
    /// <summary>An image; the first bytes must be a supported image format, else the download stops.</summary>
    Image,
    /// <summary>A robots.txt file.</summary>
    Robots,
}

/// <summary>One URL's download: the bytes, or why there are none.</summary>
public sealed record FetchResult
{
    public required Uri Url { get; init; }
    /// <summary>Where the bytes came from after redirects.</summary>
    public Uri? FinalUrl { get; init; }
    /// <summary>The last HTTP status received; null when no response came.</summary>
    public int? StatusCode { get; init; }
    public byte[]? Body { get; init; }
    /// <summary>Media type of the response (e.g. text/html), without parameters.</summary>
    public string? MediaType { get; init; }
    public string? Charset { get; init; }
    public RejectReason? Failure { get; init; }
    /// <summary>Requests sent, retries and redirects included.</summary>
    public int Requests { get; init; }

    [MemberNotNullWhen(true, nameof(Body))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null && Body is not null;
}
