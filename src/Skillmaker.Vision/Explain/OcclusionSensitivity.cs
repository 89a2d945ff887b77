using SkiaSharp;

namespace Skillmaker.Vision.Explain;

/// <summary>Where a model looked, without opening the model: slide a grey square over the image and
/// measure how much the true class's probability drops at each position. Big drops mark the parts the
/// decision depends on.</summary>
public static class OcclusionSensitivity
{
    private static readonly SKColor Occluder = new(128, 128, 128);

    /// <param name="predict">Class probabilities for a batch of images.</param>
    /// <param name="steps">Positions per side (the heat map is steps × steps).</param>
    /// <returns>Drop of the true class's probability per position, row by row, clamped at 0.</returns>
    public static float[,] Compute(SKBitmap image, int trueClass, Func<IReadOnlyList<SKBitmap>, IReadOnlyList<float[]>> predict, int steps = 7)
    {
        var baseline = predict([image])[0][trueClass];
        var patchW = Math.Max(1, image.Width * 2 / (steps + 1));
        var patchH = Math.Max(1, image.Height * 2 / (steps + 1));
        var occluded = new List<SKBitmap>(steps * steps);
        try
        {
            for (var row = 0; row < steps; row++)
                for (var col = 0; col < steps; col++)
                {
                    var x = (image.Width - patchW) * col / Math.Max(1, steps - 1);
                    var y = (image.Height - patchH) * row / Math.Max(1, steps - 1);
                    var copy = image.Copy();
                    using (var canvas = new SKCanvas(copy))
                    using (var paint = new SKPaint { Color = Occluder })
                        canvas.DrawRect(x, y, patchW, patchH, paint);
                    occluded.Add(copy);
                }
            var probabilities = predict(occluded);
            var heat = new float[steps, steps];
            for (var i = 0; i < occluded.Count; i++)
                heat[i / steps, i % steps] = Math.Max(0, baseline - probabilities[i][trueClass]);
            return heat;
        }
        finally
        {
            foreach (var b in occluded) b.Dispose();
        }
    }

    /// <summary>The image with the heat map laid over it in translucent red (strongest drop = most red).</summary>
    public static SKBitmap Overlay(SKBitmap image, float[,] heat)
    {
        var rows = heat.GetLength(0);
        var cols = heat.GetLength(1);
        var max = 0f;
        foreach (var v in heat) max = Math.Max(max, v);
        var result = image.Copy(SKColorType.Rgba8888);
        using var canvas = new SKCanvas(result);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
            {
                var strength = max <= 0 ? 0 : heat[r, c] / max;
                using var paint = new SKPaint { Color = new SKColor(255, 0, 0, (byte)(strength * 150)) };
                canvas.DrawRect(new SKRect(image.Width * c / (float)cols, image.Height * r / (float)rows, image.Width * (c + 1) / (float)cols, image.Height * (r + 1) / (float)rows), paint);
            }
        return result;
    }
}
