using Skillmaker.Imaging;
using Skillmaker.Ingest;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Tests.Core.Imaging;

public sealed class PureFunctionTests
{
    [Fact]
    public void PerceptualHash_SamePhotoReencoded_CloseAndOtherPhotosFar()
    {
        var probe = new SkiaImageProbe();
        var photos = TestAssets.CarPhotos();
        ulong Hash(byte[] bytes) => probe.Probe(bytes, new ImageProbeOptions()).Image!.PerceptualHash;

        var original = Hash(File.ReadAllBytes(photos[0]));
        var reencoded = Hash(TestImages.ReencodedCopy(photos[0], 0.5, 60));
        var others = photos.Skip(1).Take(30).Select(p => PerceptualHash.Distance(original, Hash(File.ReadAllBytes(p)))).ToList();

        Assert.InRange(PerceptualHash.Distance(original, reencoded), 0, 6);
        Assert.True(others.Average() > 20, $"mean distance to other photos {others.Average()}");
        Assert.All(others, d => Assert.True(d > 6));
    }

    [Fact]
    public void PerceptualHash_WrongInputSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => PerceptualHash.Compute(new float[10]));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, ImageFormat.Png)]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, ImageFormat.Gif)]
    [InlineData(new byte[] { 0x49, 0x49, 0x2A, 0x00 }, ImageFormat.Tiff)]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E }, ImageFormat.Text)]
    public void Sniff_MagicBytes_Recognised(byte[] head, ImageFormat expected)
    {
        Assert.Equal(expected, ImageFormatSniffer.Sniff(head));
    }

    [Fact]
    public void Sniff_HeicBrand_UnsupportedWithList()
    {
        byte[] heic = [0, 0, 0, 0x18, .. "ftypheic"u8.ToArray(), 0, 0, 0, 0];
        var format = ImageFormatSniffer.Sniff(heic);

        var refusal = ImageFormatSniffer.Refusal(format);

        Assert.Equal(ImageFormat.Heic, format);
        Assert.Equal(RejectCode.UnsupportedFormat, refusal!.Code);
        Assert.Equal("unsupported format HEIC; supported: jpeg, png, webp, gif, bmp", refusal.Message);
    }

    [Theory]
    [InlineData("2024-05-01", "2024-05-01")]
    [InlineData("2024/05/01", "2024-05-01")]
    [InlineData("2024-05-01T13:45", "2024-05-01T13:45:00")]
    [InlineData("2024-05-01 13:45:10", "2024-05-01T13:45:10")]
    [InlineData("2024:05:01 13:45:10", "2024-05-01T13:45:10")]
    [InlineData("2024-05-01T13:45:10+02:00", "2024-05-01T13:45:10+02:00")]
    [InlineData("2024-05-01T13:45:10Z", "2024-05-01T13:45:10+00:00")]
    [InlineData("yesterday", null)]
    [InlineData("2024-13-01", null)]
    public void NormalizeDate_GivenValue_KeepsGivenPrecisionAndOffset(string given, string? expected)
    {
        Assert.Equal(expected, IngestPlanner.NormalizeDate(given));
    }
}
