using System.CommandLine;

namespace Skillmaker.Cli.Commands;

/// <summary>Options of the commands that download: which hosts, private addresses, re-runs.</summary>
internal sealed class WebOptions(bool forCrawl)
{
    public Option<string[]> Allow { get; } = new("--allow")
    {
        Description = forCrawl
            ? "More hosts the crawl may fetch from, besides the start host (*.example allows subdomains). Repeatable"
            : "Only download from these hosts, redirects included (*.example allows subdomains); default: any public host. Repeatable",
        HelpName = "HOST",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<bool> AllowPrivate { get; } = new("--allow-private")
    {
        Description = forCrawl
            ? "Also fetch from loopback and private-network addresses (allowed anyway for a start URL that names one). Link-local and cloud metadata addresses are never fetched"
            : "Also download from loopback and private-network addresses. Link-local and cloud metadata addresses are never fetched",
    };

    public Option<bool> Refresh { get; } = new("--refresh")
    {
        Description = forCrawl
            ? "Visit pages that earlier runs finished again, to find new listings (images already taken are not downloaded again)"
            : "Download URLs that earlier runs already took again",
    };

    public bool IsUsed(ParseResult parse) =>
        (parse.GetValue(Allow) ?? []).Length > 0 || parse.GetValue(AllowPrivate) || parse.GetValue(Refresh);

    /// <summary>The --allow hosts; commas separate hosts too.</summary>
    public IReadOnlyList<string> AllowedHosts(ParseResult parse) =>
        [.. (parse.GetValue(Allow) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
