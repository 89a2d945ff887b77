namespace Skillmaker.Imaging;

public enum ImageFormat { Unknown, Jpeg, Png, Gif, WebP, Bmp, Avif, Heic, Tiff, Text }

/// <summary>Tells formats apart by their first bytes, never by the file name.</summary>
public static class ImageFormatSniffer
{
    /// <summary>Formats Skillmaker decodes.</summary>
    public static readonly IReadOnlyList<ImageFormat> Supported = [ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.WebP, ImageFormat.Gif, ImageFormat.Bmp];

    public static string SupportedList => string.Join(", ", Supported.Select(Name));

    public static ImageFormat Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return ImageFormat.Jpeg;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (head.StartsWith("BM"u8) && head.Length >= 26) return ImageFormat.Bmp;
        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8)) return ImageFormat.Tiff;
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = head[8..12];
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8)) return ImageFormat.Avif;
            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8) || brand.SequenceEqual("hevc"u8)) return ImageFormat.Heic;
        }
        return LooksLikeText(head) ? ImageFormat.Text : ImageFormat.Unknown;
    }

    public static bool IsSupported(ImageFormat format) => Supported.Contains(format);

    public static string Name(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpeg",
        ImageFormat.Png => "png",
        ImageFormat.Gif => "gif",
        ImageFormat.WebP => "webp",
        ImageFormat.Bmp => "bmp",
        ImageFormat.Avif => "avif",
        ImageFormat.Heic => "heic",
        ImageFormat.Tiff => "tiff",
        ImageFormat.Text => "text",
        _ => "unknown",
    };

    /// <summary>How many leading bytes the sniff looks at.</summary>
    public const int HeadLength = 64;

    /// <summary>Why these bytes are refused by their format alone (not an image, unsupported); null when
    /// they may be decodable.</summary>
    public static RejectReason? RefusalOf(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(HeadLength, bytes.Length)];
        return Refusal(Sniff(head));
    }

    /// <summary>Turns an unaccepted sniff into the reason the file is refused; null when decodable.</summary>
    public static RejectReason? Refusal(ImageFormat format) => format switch
    {
        _ when IsSupported(format) => null,
        // Never quote the content: rejections are stored and shown, and the file may be a secret.
        ImageFormat.Text => new(RejectCode.NotAnImage, $"not an image: the file holds text; expected one of {SupportedList}"),
        ImageFormat.Unknown => new(RejectCode.NotAnImage, $"not an image: unrecognised content; expected one of {SupportedList}"),
        _ => new(RejectCode.UnsupportedFormat, $"unsupported format {Name(format).ToUpperInvariant()}; supported: {SupportedList}"),
    };

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return false;
        var sample = head[..Math.Min(512, head.Length)];
        var printable = 0;
        foreach (var b in sample)
            if (b is 9 or 10 or 13 || (b >= 32 && b < 127) || b >= 0xC2) printable++;
        return printable >= sample.Length * 0.95;
    }
}
