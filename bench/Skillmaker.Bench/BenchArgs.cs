using System.Globalization;

namespace Skillmaker.Bench;

/// <summary>Tiny <c>--name value</c> parser: benchmarks need a handful of numbers, not a CLI framework.</summary>
internal sealed class BenchArgs(string[] args)
{
    public string? Get(string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
