namespace Skillmaker.Imaging;

/// <summary>64-bit DCT perceptual hash (pHash): the signs of the lowest 8×8 frequencies of a 32×32
/// grey image relative to their median. Re-encoding or resizing a photo moves few bits; a different
/// photo moves about half.</summary>
public static class PerceptualHash
{
    public const int Size = 32;
    private const int LowFrequencies = 8;

    private static readonly double[,] Cosines = BuildCosines();

    /// <summary>Hashes a 32×32 luminance image given row by row.</summary>
    public static ulong Compute(ReadOnlySpan<float> luminance32x32)
    {
        if (luminance32x32.Length != Size * Size)
            throw new ArgumentException($"Expected {Size * Size} luminance values, got {luminance32x32.Length}.", nameof(luminance32x32));

        // Separable 2-D DCT-II, but only the 8 lowest frequencies in each direction are needed.
        Span<double> rows = stackalloc double[Size * LowFrequencies];
        for (var y = 0; y < Size; y++)
            for (var u = 0; u < LowFrequencies; u++)
            {
                double sum = 0;
                for (var x = 0; x < Size; x++) sum += luminance32x32[y * Size + x] * Cosines[u, x];
                rows[y * LowFrequencies + u] = sum;
            }

        Span<double> coefficients = stackalloc double[LowFrequencies * LowFrequencies];
        for (var v = 0; v < LowFrequencies; v++)
            for (var u = 0; u < LowFrequencies; u++)
            {
                double sum = 0;
                for (var y = 0; y < Size; y++) sum += rows[y * LowFrequencies + u] * Cosines[v, y];
                coefficients[v * LowFrequencies + u] = sum;
            }

        // The DC term only measures overall brightness, so it stays out of the median.
        Span<double> sorted = stackalloc double[coefficients.Length - 1];
        coefficients[1..].CopyTo(sorted);
        sorted.Sort();
        var median = (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

        ulong hash = 0;
        for (var i = 0; i < coefficients.Length; i++)
            if (coefficients[i] > median) hash |= 1UL << i;
        return hash;
    }

    public static int Distance(ulong a, ulong b) => System.Numerics.BitOperations.PopCount(a ^ b);

    private static double[,] BuildCosines()
    {
        var table = new double[LowFrequencies, Size];
        for (var u = 0; u < LowFrequencies; u++)
            for (var x = 0; x < Size; x++)
                table[u, x] = Math.Cos((2 * x + 1) * u * Math.PI / (2 * Size));
        return table;
    }
}
