using Microsoft.Extensions.Time.Testing;
using Skillmaker.Crowd;

namespace Skillmaker.Tests.Crowd;

public class SignedImageLinkTests
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private const string Crop = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static (string Id, string Exp, string Sig) Parse(string path)
    {
        var uri = new Uri("http://x" + path);
        var q = System.Web.HttpUtility.ParseQueryString(uri.Query);
        return (uri.AbsolutePath["/img/crop/".Length..], q["exp"]!, q["sig"]!);
    }

    [Fact]
    public void Check_UntouchedLink_IsValid()
    {
        var links = new SignedImageLinks(Secret, new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        var (id, exp, sig) = Parse(links.PathFor(Crop, TimeSpan.FromHours(1)));
        Assert.Equal(Crop, id);
        Assert.Equal(LinkCheck.Valid, links.Check(id, exp, sig));
    }

    [Fact]
    public void Check_TamperedIdExpiryOrSignature_IsBadSignature()
    {
        var links = new SignedImageLinks(Secret, new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        var (id, exp, sig) = Parse(links.PathFor(Crop, TimeSpan.FromHours(1)));
        Assert.Equal(LinkCheck.BadSignature, links.Check("b" + id[1..], exp, sig));
        Assert.Equal(LinkCheck.BadSignature, links.Check(id, (long.Parse(exp) + 3600).ToString(), sig));
        Assert.Equal(LinkCheck.BadSignature, links.Check(id, exp, sig[..^1] + (sig[^1] == 'A' ? 'B' : 'A')));
        Assert.Equal(LinkCheck.BadSignature, links.Check(id, exp, null));
        Assert.Equal(LinkCheck.BadSignature, links.Check(id, "soon", sig));
        var otherWorkspace = new SignedImageLinks([.. Enumerable.Range(2, 32).Select(i => (byte)i)], new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        Assert.Equal(LinkCheck.BadSignature, otherWorkspace.Check(id, exp, sig));
    }

    [Fact]
    public void Check_AfterExpiry_IsExpired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var links = new SignedImageLinks(Secret, time);
        var (id, exp, sig) = Parse(links.PathFor(Crop, TimeSpan.FromMinutes(30)));
        time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(LinkCheck.Valid, links.Check(id, exp, sig));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(LinkCheck.Expired, links.Check(id, exp, sig));
    }
}
