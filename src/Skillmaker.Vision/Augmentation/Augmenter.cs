using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SkiaSharp;
using Skillmaker.Augmentation;

namespace Skillmaker.Vision.Augmentation;

/// <summary>What one augmented copy is made from: the crop, and when known the photo it was cut from
/// and the box (so the box can grow past the crop's edges).</summary>
public sealed record AugmentSource(SKBitmap Image, SKBitmap? Parent = null, SKRectI? Box = null);

/// <summary>Seeded, composable image augmentation. The same seed, image key and copy index always give
/// the same pixels: the random stream is derived from them, never shared between copies.</summary>
public sealed class Augmenter
{
    private static readonly SKColor Fill = new(114, 114, 114);
    private readonly IReadOnlyList<AugmentationStep> _steps;

    public Augmenter(IReadOnlyList<AugmentationStep> steps)
    {
        var errors = AugmentationSteps.Validate(steps);
        if (errors.Count > 0) throw new Common.SkillmakerException("Invalid augmentations:\n  " + string.Join("\n  ", errors));
        _steps = [.. steps.OrderBy(s => s.Order)];
    }

    /// <param name="donor">Another image for copy-paste occlusion; copy-paste is skipped without one.</param>
    public SKBitmap Apply(AugmentSource source, long seed, string imageKey, int copy, SKBitmap? donor = null)
    {
        var random = new Random(DeriveSeed(seed, imageKey, copy));
        var current = source.Image.Copy();
        foreach (var step in _steps)
        {
            // Draw the coin for every step, applied or not, so one step's probability never shifts another's randomness.
            var apply = random.NextDouble() < step.P;
            var next = step.Op switch
            {
                "box" => Box(source, current, step, random, apply),
                "rotate" => apply ? Rotate(current, (random.NextDouble() * 2 - 1) * step.Degrees) : null,
                "hflip" => apply ? Flip(current, horizontal: true) : null,
                "vflip" => apply ? Flip(current, horizontal: false) : null,
                "hsv" => apply ? Hsv(current, (random.NextDouble() * 2 - 1) * step.Hue, 1 + (random.NextDouble() * 2 - 1) * step.Saturation, 1 + (random.NextDouble() * 2 - 1) * step.Value) : null,
                "occlude" => apply ? Occlude(current, step.MaxArea, random, donor: null) : null,
                "copy-paste" => apply && donor is not null ? Occlude(current, step.MaxArea, random, donor) : null,
                _ => null,
            };
            if (next is null) continue;
            current.Dispose();
            current = next;
        }
        return current;
    }

    internal static int DeriveSeed(long seed, string imageKey, int copy) =>
        BinaryPrimitives.ReadInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"augment\n{seed}\n{imageKey}\n{copy}")));

    /// <summary>Grows or shrinks the box around its centre, cutting from the parent photo when there is one.</summary>
    private static SKBitmap? Box(AugmentSource source, SKBitmap current, AugmentationStep step, Random random, bool apply)
    {
        var factor = 1 + (random.NextDouble() * 2 - 1) * step.Percent / 100;
        if (!apply) return null;
        var (canvasImage, box) = source.Parent is { } parent && source.Box is { } b
            ? (parent, b)
            : (current, new SKRectI(0, 0, current.Width, current.Height));
        var cx = box.MidX;
        var cy = box.MidY;
        var w = box.Width * factor;
        var h = box.Height * factor;
        var rect = SKRectI.Round(new SKRect((float)(cx - w / 2), (float)(cy - h / 2), (float)(cx + w / 2), (float)(cy + h / 2)));
        rect.Intersect(new SKRectI(0, 0, canvasImage.Width, canvasImage.Height));
        if (rect.Width < 2 || rect.Height < 2) return null;
        var result = new SKBitmap(rect.Width, rect.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(result);
        using var image = SKImage.FromBitmap(canvasImage);
        canvas.DrawImage(image, rect, new SKRect(0, 0, rect.Width, rect.Height), new SKSamplingOptions(SKFilterMode.Linear));
        return result;
    }

    private static SKBitmap Rotate(SKBitmap bitmap, double degrees)
    {
        var result = new SKBitmap(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(result);
        canvas.Clear(Fill);
        canvas.Translate(bitmap.Width / 2f, bitmap.Height / 2f);
        canvas.RotateDegrees((float)degrees);
        canvas.Translate(-bitmap.Width / 2f, -bitmap.Height / 2f);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear));
        return result;
    }

    private static SKBitmap Flip(SKBitmap bitmap, bool horizontal)
    {
        var result = new SKBitmap(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(result);
        canvas.Scale(horizontal ? -1 : 1, horizontal ? 1 : -1, bitmap.Width / 2f, bitmap.Height / 2f);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default);
        return result;
    }

    /// <summary>Hue rotation, saturation and brightness as one colour matrix (a standard luminance-
    /// preserving hue rotation), so it runs in Skia's vectorised pipeline.</summary>
    private static SKBitmap Hsv(SKBitmap bitmap, double hueDegrees, double saturation, double value)
    {
        var h = hueDegrees * Math.PI / 180;
        var (cos, sin) = (Math.Cos(h), Math.Sin(h));
        const double lr = 0.213, lg = 0.715, lb = 0.072;
        double[,] hue =
        {
            { lr + cos * (1 - lr) + sin * -lr, lg + cos * -lg + sin * -lg, lb + cos * -lb + sin * (1 - lb) },
            { lr + cos * -lr + sin * 0.143, lg + cos * (1 - lg) + sin * 0.140, lb + cos * -lb + sin * -0.283 },
            { lr + cos * -lr + sin * -(1 - lr), lg + cos * -lg + sin * lg, lb + cos * (1 - lb) + sin * lb },
        };
        var s = saturation;
        double[,] sat =
        {
            { lr * (1 - s) + s, lg * (1 - s), lb * (1 - s) },
            { lr * (1 - s), lg * (1 - s) + s, lb * (1 - s) },
            { lr * (1 - s), lg * (1 - s), lb * (1 - s) + s },
        };
        var matrix = new float[20];
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 3; c++)
            {
                double sum = 0;
                for (var k = 0; k < 3; k++) sum += sat[r, k] * hue[k, c];
                matrix[r * 5 + c] = (float)(sum * value);
            }
        matrix[18] = 1;
        var result = new SKBitmap(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(result);
        using var paint = new SKPaint { ColorFilter = SKColorFilter.CreateColorMatrix(matrix) };
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default, paint);
        return result;
    }

    /// <summary>Covers a random rectangle with a solid colour, or with a patch of <paramref name="donor"/>.</summary>
    private static SKBitmap Occlude(SKBitmap bitmap, double maxArea, Random random, SKBitmap? donor)
    {
        var area = (0.3 + 0.7 * random.NextDouble()) * maxArea * bitmap.Width * bitmap.Height;
        var aspect = 0.5 + random.NextDouble() * 1.5;
        var w = (int)Math.Clamp(Math.Sqrt(area * aspect), 1, bitmap.Width);
        var h = (int)Math.Clamp(area / w, 1, bitmap.Height);
        var x = random.Next(0, bitmap.Width - w + 1);
        var y = random.Next(0, bitmap.Height - h + 1);
        var color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var target = new SKRect(x, y, x + w, y + h);

        var result = bitmap.Copy();
        using var canvas = new SKCanvas(result);
        if (donor is null)
        {
            using var paint = new SKPaint { Color = color };
            canvas.DrawRect(target, paint);
        }
        else
        {
            var dw = Math.Min(donor.Width, w * 2);
            var dh = Math.Min(donor.Height, h * 2);
            var dx = random.Next(0, donor.Width - dw + 1);
            var dy = random.Next(0, donor.Height - dh + 1);
            using var image = SKImage.FromBitmap(donor);
            canvas.DrawImage(image, new SKRect(dx, dy, dx + dw, dy + dh), target, new SKSamplingOptions(SKFilterMode.Linear));
        }
        return result;
    }
}
