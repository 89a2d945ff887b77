using System.Globalization;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Skills;
using Skillmaker.Training;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Reports;

/// <summary>The heat maps of a version's failures, one at a time on demand (the dashboard shows all of them, the
/// report only the first few): computed by <see cref="ReportBuilder.ExplainAsync"/> with the version itself, and kept
/// as PNG files under <paramref name="cacheFolder"/> (a version and an image never change, so neither does its heat
/// map). One computation at a time, with the last version's model kept loaded, so a page of failures costs one model
/// load and spares the other work on the machine.</summary>
public sealed class FailureHeatmaps(SkillStore skills, ReportBuilder reports, string cacheFolder) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private (SkillRef Skill, SkillPredictor Predictor)? _loaded;

    /// <summary>The image with the heat map of its true class laid over it (PNG).</summary>
    public async Task<byte[]> OverlayPngAsync(SkillRef skill, Failure failure, CancellationToken cancellationToken)
    {
        var path = Path.Combine(cacheFolder, skill.Name, skill.Version.ToString(CultureInfo.InvariantCulture), failure.ImageId + ".png");
        if (File.Exists(path)) return await File.ReadAllBytesAsync(path, cancellationToken);
        await _one.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path)) return await File.ReadAllBytesAsync(path, cancellationToken);
            if (_loaded is not { } loaded || loaded.Skill != skill)
            {
                _loaded?.Predictor.Dispose();
                _loaded = null;
                _loaded = (skill, SkillPredictor.Create(await skills.LoadAsync(skill, null, cancellationToken)));
            }
            var example = await reports.ExplainAsync(_loaded.Value.Predictor, failure, cancellationToken);
            var png = example.HeatmapPng ?? throw new SkillmakerException($"No heat map for {failure.ImageId[..12]} of {skill}.");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAllBytesAsync(path, png, cancellationToken);
            return png;
        }
        finally
        {
            _one.Release();
        }
    }

    public void Dispose()
    {
        _loaded?.Predictor.Dispose();
        _one.Dispose();
    }
}
