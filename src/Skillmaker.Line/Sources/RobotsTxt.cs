using System.Globalization;
using System.Text;

namespace Skillmaker.Sources;

/// <summary>A site's robots.txt as it applies to one crawler (RFC 9309). The groups naming the
/// crawler's product token (case-insensitive) apply, all of them merged; only when none does, the
/// <c>*</c> groups apply. The longest matching rule wins, Allow on a tie; <c>*</c> matches any run of
/// characters and a final <c>$</c> anchors the end. Crawl-delay (not in the RFC, widely used) comes
/// from the applying groups.</summary>
public sealed class RobotsTxt
{
    private readonly List<Rule> _rules;

    private RobotsTxt(List<Rule> rules, TimeSpan? crawlDelay, string? disallowAllReason)
    {
        _rules = rules;
        CrawlDelay = crawlDelay;
        DisallowAllReason = disallowAllReason;
    }

    /// <summary>No robots.txt (4xx): everything is allowed.</summary>
    public static RobotsTxt AllowAll { get; } = new([], null, null);

    /// <summary>robots.txt could not be fetched (5xx, unreachable): RFC 9309 says to assume complete
    /// disallow. <paramref name="reason"/> says what happened.</summary>
    public static RobotsTxt DisallowAll(string reason) => new([], null, reason);

    public TimeSpan? CrawlDelay { get; }
    public string? DisallowAllReason { get; }
    public int RuleCount => _rules.Count;

    public static RobotsTxt Parse(string text, string productToken)
    {
        var groups = new List<Group>();
        Group? current = null;
        var lastWasAgent = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0) line = line[..hash];
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) continue;
            var key = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "user-agent":
                    if (!lastWasAgent || current is null) groups.Add(current = new Group());
                    current.Agents.Add(value.Split('/', ' ')[0]);
                    lastWasAgent = true;
                    continue;
                case "allow" or "disallow" when current is not null:
                    // An empty Disallow allows everything: it is no rule at all.
                    if (value.Length > 0) current.Rules.Add(new Rule(Normalize(value), key == "allow", $"{(key == "allow" ? "Allow" : "Disallow")}: {value}"));
                    break;
                case "crawl-delay" when current is not null:
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
                        current.CrawlDelay ??= TimeSpan.FromSeconds(seconds);
                    break;
            }
            lastWasAgent = false;
        }

        var mine = groups.Where(g => g.Agents.Exists(a => a.Equals(productToken, StringComparison.OrdinalIgnoreCase))).ToList();
        if (mine.Count == 0) mine = [.. groups.Where(g => g.Agents.Contains("*"))];
        return new RobotsTxt([.. mine.SelectMany(g => g.Rules)], mine.Select(g => g.CrawlDelay).FirstOrDefault(d => d is not null), null);
    }

    /// <summary>Whether <paramref name="url"/> may be fetched, and the rule that decided (null: none matched).</summary>
    public (bool Allowed, string? Rule) Check(Uri url)
    {
        if (DisallowAllReason is not null) return (false, DisallowAllReason);
        var path = Normalize(url.PathAndQuery);
        if (path == "/robots.txt") return (true, null);
        Rule? best = null;
        foreach (var rule in _rules)
        {
            if (!Matches(rule.Pattern, path)) continue;
            if (best is null || rule.Pattern.Length > best.Pattern.Length || (rule.Pattern.Length == best.Pattern.Length && rule.Allow && !best.Allow))
                best = rule;
        }
        return best is null ? (true, null) : (best.Allow, best.Text);
    }

    /// <summary>Percent-encodes what is not ASCII, decodes what needs no encoding, and upper-cases the
    /// rest, so that a pattern and a URL compare as the same octets.</summary>
    internal static string Normalize(string path)
    {
        var builder = new StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                var decoded = (char)Convert.ToInt32(path.Substring(i + 1, 2), 16);
                if (char.IsAsciiLetterOrDigit(decoded) || decoded is '-' or '.' or '_' or '~') builder.Append(decoded);
                else builder.Append('%').Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                i += 2;
            }
            else if (c > 127 || c == ' ')
            {
                foreach (var b in Encoding.UTF8.GetBytes(char.IsHighSurrogate(c) && i + 1 < path.Length ? path.Substring(i++, 2) : c.ToString()))
                    builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>Prefix match with <c>*</c> wildcards and an optional final <c>$</c>.</summary>
    internal static bool Matches(string pattern, string path)
    {
        var anchored = pattern.EndsWith('$');
        if (anchored) pattern = pattern[..^1];
        // reachable[j]: the pattern so far can end just before path[j].
        var reachable = new bool[path.Length + 1];
        reachable[0] = true;
        foreach (var p in pattern)
        {
            var next = new bool[path.Length + 1];
            if (p == '*')
            {
                var any = false;
                for (var j = 0; j <= path.Length; j++) next[j] = any |= reachable[j];
            }
            else
            {
                for (var j = 0; j < path.Length; j++) next[j + 1] = reachable[j] && path[j] == p;
            }
            reachable = next;
        }
        return anchored ? reachable[path.Length] : Array.IndexOf(reachable, true) >= 0;
    }

    private sealed record Rule(string Pattern, bool Allow, string Text);

    private sealed class Group
    {
        public List<string> Agents { get; } = [];
        public List<Rule> Rules { get; } = [];
        public TimeSpan? CrawlDelay { get; set; }
    }
}
