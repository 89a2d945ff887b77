namespace Skillmaker.Sources;

/// <summary>Which hosts may be fetched: names (<c>cars.example</c>) and wildcards for subdomains
/// (<c>*.example</c>, which also matches <c>example</c> itself). An empty scope with
/// <see cref="AnyHost"/> allows every host, within what the <see cref="NetworkGuard"/> permits.</summary>
public sealed class HostScope
{
    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];

    public HostScope(IEnumerable<string> patterns, bool anyHost = false)
    {
        AnyHost = anyHost;
        foreach (var raw in patterns)
        {
            var pattern = NetworkGuard.NormalizeHost(raw.Trim());
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                _suffixes.Add(pattern[1..]);
                _exact.Add(pattern[2..]);
            }
            else if (pattern.Length > 0) _exact.Add(pattern);
        }
        Patterns = [.. _exact.Order(StringComparer.Ordinal), .. _suffixes.Select(s => "*" + s)];
    }

    public static HostScope Any { get; } = new([], anyHost: true);

    public bool AnyHost { get; }
    public IReadOnlyList<string> Patterns { get; }

    public bool Allows(Uri url)
    {
        if (AnyHost) return true;
        var host = NetworkGuard.NormalizeHost(url.Host);
        return _exact.Contains(host) || _suffixes.Exists(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Why <paramref name="url"/> is outside the scope, or null.</summary>
    public string? Check(Uri url, string scopeName) =>
        Allows(url) ? null : $"host {url.Host} is not allowed ({scopeName}: {string.Join(", ", Patterns)}); add {url.Host} to the allowed hosts to fetch from it";

    /// <summary>Validates a host pattern typed by a user; null when fine.</summary>
    public static string? Validate(string pattern)
    {
        var host = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return Uri.CheckHostName(NetworkGuard.NormalizeHost(host)) == UriHostNameType.Unknown
            ? $"'{pattern}' is not a host name; expected e.g. cars.example or *.cdn.example"
            : null;
    }
}
