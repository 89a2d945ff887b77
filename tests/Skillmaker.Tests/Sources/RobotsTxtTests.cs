using Skillmaker.Sources;

namespace Skillmaker.Tests.Sources;

public sealed class RobotsTxtTests
{
    private const string Site = """
        # comment line
        User-agent: *
        Disallow: /

        User-agent: OtherBot
        User-agent: skillmaker/2.0   # token matched without version, case-insensitive
        Disallow: /private/
        Allow: /private/public
        Disallow: /*.pdf$
        Disallow: /search?q=
        Disallow:
        Crawl-delay: 2.5

        User-agent: Skillmaker
        Disallow: /tmp
        """;

    [Theory]
    [InlineData("/", true)]
    [InlineData("/listing/1", true)]
    [InlineData("/private/x", false)]
    [InlineData("/private/public/x", true)]     // longer Allow wins
    [InlineData("/docs/a.pdf", false)]           // wildcard with end anchor
    [InlineData("/docs/a.pdf?x=1", true)]
    [InlineData("/search?q=audi", false)]
    [InlineData("/tmp/file", false)]             // both groups for the token are merged
    [InlineData("/robots.txt", true)]
    public void Check_MergedGroupsForProductToken_LongestRuleWins(string path, bool allowed)
    {
        var robots = RobotsTxt.Parse(Site, "Skillmaker");

        Assert.Equal(allowed, robots.Check(new Uri("https://cars.example" + path)).Allowed);
    }

    [Fact]
    public void Parse_NoGroupForToken_FallsBackToStarGroupWithItsCrawlDelay()
    {
        var robots = RobotsTxt.Parse("User-agent: *\nDisallow: /admin\nCrawl-delay: 1\n", "Skillmaker");

        Assert.False(robots.Check(new Uri("https://cars.example/admin/x")).Allowed);
        Assert.True(robots.Check(new Uri("https://cars.example/listing")).Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), robots.CrawlDelay);
    }

    [Fact]
    public void Parse_GroupForToken_CrawlDelayFromIt()
    {
        Assert.Equal(TimeSpan.FromSeconds(2.5), RobotsTxt.Parse(Site, "Skillmaker").CrawlDelay);
    }

    [Fact]
    public void Check_EqualLengthAllowAndDisallow_AllowWins()
    {
        var robots = RobotsTxt.Parse("User-agent: *\nDisallow: /page\nAllow: /page\n", "Skillmaker");

        var (allowed, rule) = robots.Check(new Uri("https://cars.example/page"));

        Assert.True(allowed);
        Assert.Equal("Allow: /page", rule);
    }

    [Fact]
    public void Check_PercentEncodedAndUnicodePaths_CompareAsSameOctets()
    {
        var robots = RobotsTxt.Parse("User-agent: *\nDisallow: /autos/größe\nDisallow: /a%2fb\n", "Skillmaker");

        Assert.False(robots.Check(new Uri("https://cars.example/autos/gr%C3%B6%C3%9Fe/1")).Allowed);
        Assert.False(robots.Check(new Uri("https://cars.example/a%2Fb")).Allowed);
        Assert.True(robots.Check(new Uri("https://cars.example/a/b")).Allowed);
    }

    [Fact]
    public void DisallowAll_Unreachable_RefusesWithReason()
    {
        var robots = RobotsTxt.DisallowAll("robots.txt of cars.example could not be read (HTTP 503)");

        var (allowed, rule) = robots.Check(new Uri("https://cars.example/"));

        Assert.False(allowed);
        Assert.Contains("HTTP 503", rule);
    }

    [Fact]
    public void Parse_RulesBeforeAnyUserAgent_Ignored()
    {
        var robots = RobotsTxt.Parse("Disallow: /\nUser-agent: *\nDisallow: /x\n", "Skillmaker");

        Assert.True(robots.Check(new Uri("https://cars.example/listing")).Allowed);
        Assert.Equal(1, robots.RuleCount);
    }
}
