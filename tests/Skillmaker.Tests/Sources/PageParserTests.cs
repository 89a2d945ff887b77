using System.Text;
using Skillmaker.Sources;

namespace Skillmaker.Tests.Sources;

public sealed class PageParserTests
{
    private static readonly Uri Page = new("https://cars.example/used/advert-17?ref=home");

    [Theory]
    [InlineData("a.jpg 1x, b.jpg 2x", "b.jpg")]
    [InlineData("small.jpg 320w, large.jpg 1280w, medium.jpg 640w", "large.jpg")]
    [InlineData("a.jpg, b.jpg 1.5x", "b.jpg")]
    [InlineData("https://img.example/c_fill,w_400/car.jpg 400w, https://img.example/c_fill,w_900/car.jpg 900w", "https://img.example/c_fill,w_900/car.jpg")]
    [InlineData("x.jpg 2x, y.jpg 300w", "y.jpg")]
    [InlineData("  ", null)]
    public void LargestSrcsetCandidate_Srcset_PicksLargest(string srcset, string? expected)
    {
        Assert.Equal(expected, PageText.LargestSrcsetCandidate(srcset));
    }

    [Fact]
    public void FromJsonLd_GraphAndStringBrand_JoinsPaths()
    {
        string[] scripts =
        [
            "{ broken json",
            """{"@context":"https://schema.org","@graph":[{"@type":"WebPage","name":"Advert"},{"@type":"Car","brand":"Audi","model":["S4 Sedan"],"vehicleModelDate":2012}]}""",
        ];

        Assert.Equal("Audi S4 Sedan 2012", PageText.FromJsonLd(scripts, ["brand.name", "model", "vehicleModelDate"]));
        Assert.Null(PageText.FromJsonLd(scripts, ["color"]));
    }

    [Fact]
    public void Parse_AdvertPage_LinksImagesAndLabel()
    {
        var html = """
            <html><head><title> Audi  S4 </title><base href="/used/">
            <script type="application/ld+json">{"@type":"Car","brand":{"@type":"Brand","name":"Audi"},"model":"S4 Sedan"}</script></head>
            <body><h1 class=title>Audi S4 <small>Sedan</small></h1>
            <div class=gallery>
              <img src="p1-small.jpg" srcset="p1-small.jpg 320w, /photos/p1.jpg 1024w">
              <img src="data:image/gif;base64,R0lGOD" data-src="p2.jpg">
              <picture><source type="image/avif" srcset="p3.avif 2000w"><source srcset="p3-big.jpg 1600w"><img src="p3.jpg"></picture>
              <img src="p1-small.jpg#zoom">
            </div>
            <img src="/logo.png">
            <a href="advert-18">next</a> <a href="#top">top</a> <a href="mailto:a@b.c">mail</a> <a href="javascript:void(0)">js</a>
            <a href="https://other.example/x#y">other</a> <a href="advert-18">again</a>
            <p>unclosed <b>markup
            """;

        var parsed = new AngleSharpPageParser().Parse(Encoding.UTF8.GetBytes(html), "utf-8", Page,
            new PageRules { ImageSelector = ".gallery", LabelJsonLd = ["brand.name", "model"], LabelSelector = "h1.title" });

        Assert.Equal("Audi S4", parsed.Title);
        Assert.Equal(
            ["https://cars.example/photos/p1.jpg", "https://cars.example/used/p2.jpg", "https://cars.example/used/p3-big.jpg", "https://cars.example/used/p1-small.jpg"],
            parsed.Images.Select(i => i.Url.AbsoluteUri));
        Assert.Equal(
            ["https://cars.example/used/advert-18", "https://cars.example/used/", "https://other.example/x"],
            parsed.Links.Select(l => l.AbsoluteUri));
        Assert.Equal(new PageLabel("Audi S4 Sedan", "jsonld:brand.name+model"), parsed.Label);
        Assert.False(parsed.NoFollow);
    }

    [Fact]
    public void Parse_NoJsonLd_LabelFromSelectorText()
    {
        var html = "<h1 class=title>\n  BMW   M3\n Coupe </h1><meta name=robots content='NOFOLLOW, noimageindex'>";

        var parsed = new AngleSharpPageParser().Parse(Encoding.UTF8.GetBytes(html), null, Page, new PageRules { LabelSelector = "h1.title", LabelJsonLd = ["model"] });

        Assert.Equal(new PageLabel("BMW M3 Coupe", "css:h1.title"), parsed.Label);
        Assert.True(parsed.NoFollow);
        Assert.True(parsed.NoImages);
    }

    [Fact]
    public void Parse_Latin1Page_DecodedFromCharset()
    {
        var html = Encoding.Latin1.GetBytes("<h1>Citroën C3</h1>");

        var parsed = new AngleSharpPageParser().Parse(html, "iso-8859-1", Page, new PageRules { LabelSelector = "h1" });

        Assert.Equal("Citroën C3", parsed.Label!.Value);
    }

    [Theory]
    [InlineData("h1.title", true)]
    [InlineData(".gallery img", true)]
    [InlineData("h1[", false)]
    [InlineData("::::", false)]
    public void ValidateSelector_Selector_NullWhenValid(string selector, bool valid)
    {
        Assert.Equal(valid, new AngleSharpPageParser().ValidateSelector(selector) is null);
    }
}
