using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Imaging;
using Skillmaker.Sources;
using Skillmaker.Tests.Support;

namespace Skillmaker.Tests.Sources;

public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("169.254.169.254", AddressKind.Forbidden, "cloud metadata")]
    [InlineData("169.254.10.1", AddressKind.Forbidden, "link-local")]
    [InlineData("fe80::1", AddressKind.Forbidden, "link-local")]
    [InlineData("fd00:ec2::254", AddressKind.Forbidden, "cloud metadata")]
    [InlineData("::ffff:169.254.169.254", AddressKind.Forbidden, "cloud metadata")] // IPv4-mapped
    [InlineData("64:ff9b::a9fe:a9fe", AddressKind.Forbidden, "cloud metadata")]     // NAT64 of 169.254.169.254
    [InlineData("100.100.100.200", AddressKind.Forbidden, "cloud metadata")]
    [InlineData("0.0.0.0", AddressKind.Forbidden, "unspecified")]
    [InlineData("224.0.0.1", AddressKind.Forbidden, "multicast")]
    [InlineData("127.0.0.1", AddressKind.Private, "loopback")]
    [InlineData("::1", AddressKind.Private, "loopback")]
    [InlineData("10.1.2.3", AddressKind.Private, "private")]
    [InlineData("172.31.0.1", AddressKind.Private, "private")]
    [InlineData("192.168.1.1", AddressKind.Private, "private")]
    [InlineData("fd12:3456::1", AddressKind.Private, "unique-local")]
    [InlineData("::ffff:10.0.0.1", AddressKind.Private, "private")]
    [InlineData("93.184.216.34", AddressKind.Public, "public")]
    [InlineData("172.32.0.1", AddressKind.Public, "public")]
    [InlineData("2606:4700::1111", AddressKind.Public, "public")]
    public void Classify_Address_KindAndName(string address, AddressKind kind, string what)
    {
        var (actualKind, actualWhat) = NetworkGuard.Classify(IPAddress.Parse(address));

        Assert.Equal(kind, actualKind);
        Assert.Contains(what, actualWhat);
    }

    [Fact]
    public void CheckAddress_PrivateAddress_AllowedOnlyForNamedHostsOrWhenAllowed()
    {
        var strict = new NetworkGuard(allowPrivate: false, privateHosts: ["127.0.0.1"]);
        var open = new NetworkGuard(allowPrivate: true);

        Assert.Null(strict.CheckAddress("127.0.0.1", IPAddress.Loopback));
        Assert.Contains("only when private addresses are allowed", strict.CheckAddress("intranet.example", IPAddress.Parse("10.0.0.5")));
        Assert.Null(open.CheckAddress("intranet.example", IPAddress.Parse("10.0.0.5")));
        Assert.Contains("never fetched", open.CheckAddress("x.example", IPAddress.Parse("169.254.169.254")));
    }

    [Theory]
    [InlineData("metadata.google.internal")]
    [InlineData("METADATA.GOOGLE.INTERNAL.")]
    [InlineData("metadata")]
    public void CheckHostName_MetadataNames_Refused(string host)
    {
        Assert.Contains("cloud metadata", NetworkGuard.CheckHostName(host));
    }

    [Fact]
    public async Task ResolveAsync_NameWithOneForbiddenAddress_WholeNameRefused()
    {
        var guard = new NetworkGuard(allowPrivate: true) { Resolve = (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("169.254.169.254") }) };

        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => guard.ResolveAsync("cars.test", CancellationToken.None));

        Assert.Contains("cars.test resolves to 169.254.169.254, a cloud metadata address", ex.Message);
    }

    [Fact]
    public async Task FetchAsync_NameRebindsToMetadata_CheckedOnTheAddressConnectedTo()
    {
        await using var site = await TestSite.StartAsync();
        // A DNS server that answers loopback first, then the metadata address (DNS rebinding).
        var answers = new Queue<IPAddress>([IPAddress.Loopback, IPAddress.Parse("169.254.169.254")]);
        var guard = new NetworkGuard(allowPrivate: true) { Resolve = (_, _) => Task.FromResult(new[] { answers.Dequeue() }) };
        var url = new Uri(site.OtherHostRoot, "/img/1-0.jpg"); // a name, resolved by the guard's DNS

        FetchResult first, second;
        using (var fetcher = new WebFetcher(SourcesTesting.Fast, guard, SourcesTesting.MaxImageBytes, TimeProvider.System, 1, NullLogger.Instance))
            first = await fetcher.FetchAsync(url, FetchKind.Image, HostScope.Any, "any", CancellationToken.None);
        using (var fetcher = new WebFetcher(SourcesTesting.Fast, guard, SourcesTesting.MaxImageBytes, TimeProvider.System, 1, NullLogger.Instance))
            second = await fetcher.FetchAsync(url, FetchKind.Image, HostScope.Any, "any", CancellationToken.None);

        Assert.True(first.Succeeded);
        Assert.Equal(RejectCode.Blocked, second.Failure!.Code);
        Assert.Contains("169.254.169.254, a cloud metadata address", second.Failure.Message);
        Assert.Equal(1, site.Hits("/img/1-0.jpg"));
    }

    [Fact]
    public void HostScope_WildcardAndExact_MatchHostsOnly()
    {
        var scope = new HostScope(["cars.example", "*.cdn.example"]);

        Assert.True(scope.Allows(new Uri("https://CARS.example:8443/x")));
        Assert.True(scope.Allows(new Uri("https://img1.cdn.example/x")));
        Assert.True(scope.Allows(new Uri("https://cdn.example/x")));
        Assert.False(scope.Allows(new Uri("https://evilcdn.example/x")));
        Assert.False(scope.Allows(new Uri("https://cars.example.evil.test/x")));
        Assert.Contains("add evil.test to the allowed hosts", scope.Check(new Uri("https://evil.test/"), "allowed hosts"));
    }
}
