using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Skillmaker.Crowd;

public enum LinkCheck { Valid, Expired, BadSignature }

/// <summary>Expiring links to one crop, signed with HMAC-SHA256 under the workspace's secret. The
/// link names the crop and its expiry; changing either breaks the signature. Only crops are ever
/// served through such a link, never the photo they were cut from.</summary>
public sealed class SignedImageLinks(byte[] secret, TimeProvider time, TimeSpan? maxLifetime = null)
{
    private readonly byte[] _secret = secret.Length >= 32 ? secret : throw new ArgumentException("The link secret must be at least 32 bytes.", nameof(secret));

    /// <summary>The longest a link may be valid (default 30 days): a link claiming a later expiry is refused
    /// even when its signature holds, so no link is forever.</summary>
    public TimeSpan MaxLifetime { get; } = maxLifetime ?? TimeSpan.FromDays(30);

    /// <summary>Path and query, e.g. <c>/img/crop/ab12…?exp=1767225600&amp;sig=…</c>.</summary>
    public string PathFor(string imageId, TimeSpan validFor)
    {
        if (validFor > MaxLifetime) validFor = MaxLifetime;
        var expires = time.GetUtcNow().Add(validFor).ToUnixTimeSeconds();
        return $"/img/crop/{imageId}?exp={expires.ToString(CultureInfo.InvariantCulture)}&sig={Sign(imageId, expires)}";
    }

    public LinkCheck Check(string imageId, string? exp, string? sig)
    {
        if (exp is null || sig is null || !long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            return LinkCheck.BadSignature;
        var expected = Encoding.ASCII.GetBytes(Sign(imageId, expires));
        var given = Encoding.ASCII.GetBytes(sig);
        // Constant time, so the signature cannot be guessed byte by byte.
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return LinkCheck.BadSignature;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        // Checked after the signature; a signed expiry beyond the cap is as good as a forged one.
        if (expires - now > (long)MaxLifetime.TotalSeconds + 60) return LinkCheck.BadSignature;
        return now < expires ? LinkCheck.Valid : LinkCheck.Expired;
    }

    private string Sign(string imageId, long expires)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"crop\n{imageId}\n{expires.ToString(CultureInfo.InvariantCulture)}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
