using ScottPlot;
using Skillmaker.Datasets;

namespace Skillmaker.Reports;

/// <summary>The report's charts as PNG bytes (ScottPlot, with the DejaVu font registered so text renders
/// on Linux builds of Skia that have no font manager).</summary>
internal static class Charts
{
    private const string FontName = "DejaVu Sans";
    private static readonly Lazy<bool> FontRegistered = new(() =>
    {
        var path = Vision.Imaging.Fonts.SansPath
            ?? throw new Common.SkillmakerException("No font for charts: install Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core).");
        ScottPlot.Fonts.AddFontFile(FontName, path);
        ScottPlot.Fonts.Default = FontName;
        return true;
    });

    public static byte[] ClassBalance(IReadOnlyList<ClassCount> counts)
    {
        _ = FontRegistered.Value;
        var plot = new Plot();
        plot.Font.Set(FontName);
        var positions = Enumerable.Range(0, counts.Count).Select(i => (double)i).ToArray();
        var train = plot.Add.Bars(positions, counts.Select(c => (double)c.Train).ToArray());
        train.LegendText = "train";
        var bars = counts.Select((c, i) => new Bar { Position = i, ValueBase = c.Train, Value = c.Train + c.Test, FillColor = Colors.Orange }).ToList();
        var test = plot.Add.Bars(bars);
        test.LegendText = "test";
        plot.Axes.Bottom.SetTicks(positions, [.. counts.Select(c => Short(c.Class))]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 140;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("images");
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(900, 460, ImageFormat.Png);
    }

    public static byte[] ConfusionMatrix(IReadOnlyList<string> classes, IReadOnlyList<IReadOnlyList<int>> matrix)
    {
        _ = FontRegistered.Value;
        var n = classes.Count;
        var values = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            var total = Math.Max(1, matrix[i].Sum());
            // Row-normalised: each row shows where that true class went.
            for (var j = 0; j < n; j++) values[i, j] = matrix[i][j] / (double)total;
        }
        var plot = new Plot();
        plot.Font.Set(FontName);
        var heat = plot.Add.Heatmap(values);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, [.. classes.Select(Short)]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 140;
        // Row i is drawn at height n-1-i, so the first class is the top row.
        plot.Axes.Left.SetTicks([.. ticks.Select(t => n - 1 - t)], [.. classes.Select(Short)]);
        plot.XLabel("predicted");
        plot.YLabel("true");
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                if (matrix[i][j] > 0)
                {
                    var text = plot.Add.Text(matrix[i][j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, n - 1 - i);
                    text.LabelFontColor = values[i, j] > 0.5 ? Colors.Black : Colors.White;
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = 11;
                }
        plot.Add.ColorBar(heat);
        return plot.GetImageBytes(820, 760, ImageFormat.Png);
    }

    private static string Short(string name) => name.Length <= 24 ? name : name[..23] + "…";
}
