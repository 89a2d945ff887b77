using System.Globalization;

namespace Skillmaker.Common;

/// <summary>How figures read in summaries: 0.8123 as "81.2%", 3.14159 as "3.1".</summary>
public static class Numbers
{
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string OneDecimal(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
