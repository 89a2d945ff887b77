using System.Net;
using System.Net.Sockets;
using Skillmaker.Common;

namespace Skillmaker.Sources;

public enum AddressKind
{
    /// <summary>An ordinary internet address.</summary>
    Public,
    /// <summary>Loopback, private networks, unique-local: fetched only when explicitly allowed.</summary>
    Private,
    /// <summary>Link-local, cloud metadata, unspecified, multicast: never fetched.</summary>
    Forbidden,
}

/// <summary>Keeps downloads away from what a URL must not reach (SSRF): cloud metadata services and
/// link-local addresses always, loopback and private networks unless allowed. Checked on the address a
/// connection is actually made to, after DNS resolution, so a name that resolves differently the second
/// time (DNS rebinding) cannot slip through.</summary>
public sealed class NetworkGuard
{
    /// <summary>Names of cloud metadata services (their addresses are forbidden too).</summary>
    public static readonly IReadOnlySet<string> MetadataHostNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
    };

    private static readonly (IPAddress Network, int Prefix, AddressKind Kind, string What)[] Ranges =
    [
        // Specific entries first: the first match names the address.
        (IPAddress.Parse("169.254.169.254"), 32, AddressKind.Forbidden, "a cloud metadata address"),
        (IPAddress.Parse("100.100.100.200"), 32, AddressKind.Forbidden, "a cloud metadata address (Alibaba Cloud)"),
        (IPAddress.Parse("168.63.129.16"), 32, AddressKind.Forbidden, "a cloud platform address (Azure wire server)"),
        (IPAddress.Parse("fd00:ec2::254"), 128, AddressKind.Forbidden, "a cloud metadata address (AWS IPv6)"),
        (IPAddress.Parse("169.254.0.0"), 16, AddressKind.Forbidden, "a link-local address"),
        (IPAddress.Parse("fe80::"), 10, AddressKind.Forbidden, "a link-local address"),
        (IPAddress.Parse("0.0.0.0"), 8, AddressKind.Forbidden, "an unspecified address"),
        (IPAddress.Parse("::"), 128, AddressKind.Forbidden, "an unspecified address"),
        (IPAddress.Parse("224.0.0.0"), 4, AddressKind.Forbidden, "a multicast address"),
        (IPAddress.Parse("ff00::"), 8, AddressKind.Forbidden, "a multicast address"),
        (IPAddress.Parse("240.0.0.0"), 4, AddressKind.Forbidden, "a reserved or broadcast address"),
        (IPAddress.Parse("127.0.0.0"), 8, AddressKind.Private, "a loopback address"),
        (IPAddress.Parse("::1"), 128, AddressKind.Private, "a loopback address"),
        (IPAddress.Parse("10.0.0.0"), 8, AddressKind.Private, "a private network address"),
        (IPAddress.Parse("172.16.0.0"), 12, AddressKind.Private, "a private network address"),
        (IPAddress.Parse("192.168.0.0"), 16, AddressKind.Private, "a private network address"),
        (IPAddress.Parse("100.64.0.0"), 10, AddressKind.Private, "a shared (carrier-grade NAT) address"),
        (IPAddress.Parse("198.18.0.0"), 15, AddressKind.Private, "a benchmarking network address"),
        (IPAddress.Parse("192.0.0.0"), 24, AddressKind.Private, "an IETF protocol address"),
        (IPAddress.Parse("fc00::"), 7, AddressKind.Private, "a unique-local (private) address"),
        (IPAddress.Parse("fec0::"), 10, AddressKind.Private, "a site-local (private) address"),
    ];

    private static readonly IPAddress Nat64Prefix = IPAddress.Parse("64:ff9b::");
    private static readonly IPAddress SixToFourPrefix = IPAddress.Parse("2002::");

    private readonly HashSet<string> _privateHosts;

    /// <param name="allowPrivate">Loopback and private addresses may be fetched from any host.</param>
    /// <param name="privateHosts">Hosts whose loopback or private addresses may be fetched (e.g. the host a
    /// crawl was explicitly started on).</param>
    public NetworkGuard(bool allowPrivate, IEnumerable<string>? privateHosts = null)
    {
        AllowPrivate = allowPrivate;
        _privateHosts = new HashSet<string>((privateHosts ?? []).Select(NormalizeHost), StringComparer.OrdinalIgnoreCase);
    }

    public bool AllowPrivate { get; }

    /// <summary>Resolver of host names; replaceable so tests can play a DNS server that changes its answer.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>True when <paramref name="host"/> is written as a loopback or private address, or is
    /// "localhost": a user who types it means it.</summary>
    public static bool IsExplicitlyPrivate(string host)
    {
        host = NormalizeHost(host);
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && Classify(ip).Kind == AddressKind.Private);
    }

    public static (AddressKind Kind, string What) Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return Classify(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Addresses that carry an IPv4 address inside are judged by that address.
            var bytes = address.GetAddressBytes();
            if (InRange(address, Nat64Prefix, 96)) return Classify(new IPAddress(bytes.AsSpan(12, 4)));
            if (InRange(address, SixToFourPrefix, 16)) return Classify(new IPAddress(bytes.AsSpan(2, 4)));
        }
        foreach (var (network, prefix, kind, what) in Ranges)
            if (InRange(address, network, prefix)) return (kind, what);
        return (AddressKind.Public, "a public address");
    }

    /// <summary>Why <paramref name="host"/> must not be fetched before resolving it, or null.</summary>
    public static string? CheckHostName(string host)
    {
        host = NormalizeHost(host);
        return MetadataHostNames.Contains(host) ? $"{host} is a cloud metadata service: never fetched" : null;
    }

    /// <summary>Why a connection to <paramref name="address"/> for <paramref name="host"/> is refused, or null.</summary>
    public string? CheckAddress(string host, IPAddress address)
    {
        host = NormalizeHost(host);
        var (kind, what) = Classify(address);
        var subject = IPAddress.TryParse(host, out _) ? $"{address} is" : $"{host} resolves to {address},";
        return kind switch
        {
            AddressKind.Forbidden => $"{subject} {what}: never fetched",
            AddressKind.Private when !AllowPrivate && !_privateHosts.Contains(host) =>
                $"{subject} {what}; such addresses are fetched only when private addresses are allowed, or when the crawl starts on that host",
            _ => null,
        };
    }

    /// <summary>The addresses of <paramref name="host"/> a connection may be made to. Throws
    /// <see cref="BlockedAddressException"/> when there are none, or when any of them is forbidden (a name
    /// that also points at a metadata service is not trusted with its other addresses).</summary>
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (CheckHostName(host) is { } named) throw new BlockedAddressException(named);
        var bare = NormalizeHost(host);
        var addresses = IPAddress.TryParse(bare, out var literal) ? [literal] : await Resolve(bare, cancellationToken);
        if (addresses.Length == 0) throw new BlockedAddressException($"{bare} has no address");
        foreach (var address in addresses)
            if (Classify(address).Kind == AddressKind.Forbidden) throw new BlockedAddressException(CheckAddress(bare, address)!);
        var allowed = addresses.Where(a => CheckAddress(bare, a) is null).ToList();
        return allowed.Count > 0 ? allowed : throw new BlockedAddressException(CheckAddress(bare, addresses[0])!);
    }

    /// <summary>Lower case, without IPv6 brackets or a trailing dot.</summary>
    public static string NormalizeHost(string host) => host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily) return false;
        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        for (var bit = 0; bit < prefix && bit < length * 8; bit += 8)
        {
            var bits = Math.Min(8, prefix - bit);
            var mask = (byte)(0xFF << (8 - bits));
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask)) return false;
        }
        return true;
    }
}

/// <summary>A connection was refused by the <see cref="NetworkGuard"/>; the message says why.</summary>
public sealed class BlockedAddressException(string message) : SkillmakerException(message);
