using SkiaSharp;
using Skillmaker.Skills;

namespace Skillmaker.Vision.Embeddings;

/// <summary>Turns a decoded image into one image's slice of the backbone's input tensor, as the spec
/// says: one resampling draw (resize and crop together), then per-channel scale, mean and std in the
/// model's channel order and layout. Thread-safe: it holds no mutable state.</summary>
public sealed class Preprocessor
{
    private static readonly SKColor Pad = new(114, 114, 114);
    // Bilinear from the nearest mipmap level: antialiased when shrinking a large photo, and about five
    // times faster in Skia's CPU backend than blending two levels (SKMipmapMode.Linear). Changing the
    // pixel pipeline changes embeddings: bump the version in PreprocessingSpec.Hash with it.
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Nearest);
    // Per channel (in the tensor's order), the normalised value of each 8-bit pixel value.
    private readonly float[][] _lookup;
    private readonly int[] _sourceChannel;

    public Preprocessor(PreprocessingSpec spec)
    {
        Spec = spec;
        _sourceChannel = spec.ChannelOrder == ChannelOrder.Rgb ? [0, 1, 2] : [2, 1, 0];
        _lookup = [.. Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 256)
            .Select(v => (float)((v / spec.PixelScale - spec.Mean[c]) / spec.Std[c])).ToArray())];
    }

    public PreprocessingSpec Spec { get; }
    public int Width => Spec.Width;
    public int Height => Spec.Height;
    /// <summary>Floats per image: 3 × width × height.</summary>
    public int TensorLength => 3 * Spec.Width * Spec.Height;

    /// <summary>Writes <paramref name="image"/> into <paramref name="destination"/> (length <see cref="TensorLength"/>).</summary>
    public void Write(SKBitmap image, Span<float> destination)
    {
        if (destination.Length != TensorLength)
            throw new ArgumentException($"destination holds {destination.Length} floats; one image needs {TensorLength}", nameof(destination));
        using var fitted = Fit(image);
        var pixels = fitted.GetPixelSpan();
        var plane = Width * Height;
        var (l0, l1, l2) = (_lookup[0], _lookup[1], _lookup[2]);
        var (s0, s1, s2) = (_sourceChannel[0], _sourceChannel[1], _sourceChannel[2]);
        if (Spec.Layout == TensorLayout.Nchw)
        {
            for (var i = 0; i < plane; i++)
            {
                var p = i * 4;
                destination[i] = l0[pixels[p + s0]];
                destination[plane + i] = l1[pixels[p + s1]];
                destination[2 * plane + i] = l2[pixels[p + s2]];
            }
        }
        else
        {
            for (var i = 0; i < plane; i++)
            {
                var p = i * 4;
                destination[3 * i] = l0[pixels[p + s0]];
                destination[3 * i + 1] = l1[pixels[p + s1]];
                destination[3 * i + 2] = l2[pixels[p + s2]];
            }
        }
    }

    /// <summary>The image resized and cropped to the input size, as RGBA bytes.</summary>
    internal SKBitmap Fit(SKBitmap image)
    {
        var (w, h) = ((float)image.Width, (float)image.Height);
        SKRect source, target;
        switch (Spec.Resize)
        {
            case ResizeMode.ShorterSide:
                // Scaling the shorter side to ResizeTo and cropping the centre is one draw of the
                // centre window of the source, scaled by the same factor.
                var scale = Spec.EffectiveResizeTo / Math.Min(w, h);
                var (cw, ch) = (Math.Min(w, Width / scale), Math.Min(h, Height / scale));
                source = SKRect.Create((w - cw) / 2, (h - ch) / 2, cw, ch);
                target = SKRect.Create(0, 0, Width, Height);
                break;
            case ResizeMode.Letterbox:
                var fit = Math.Min(Width / w, Height / h);
                var (tw, th) = (w * fit, h * fit);
                source = SKRect.Create(0, 0, w, h);
                target = SKRect.Create((Width - tw) / 2, (Height - th) / 2, tw, th);
                break;
            default:
                source = SKRect.Create(0, 0, w, h);
                target = SKRect.Create(0, 0, Width, Height);
                break;
        }
        var result = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.Clear(Pad);
        using var sourceImage = SKImage.FromBitmap(image);
        canvas.DrawImage(sourceImage, source, target, Sampling);
        return result;
    }
}
