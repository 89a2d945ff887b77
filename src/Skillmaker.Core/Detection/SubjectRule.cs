using System.Globalization;
using Skillmaker.Common;

namespace Skillmaker.Detection;

/// <summary>The <c>detector.subject</c> section of the workspace config: how the subject of a photo is
/// chosen among its vehicle crops. A label given to the whole photo (a folder name, a manifest column, a
/// crowd answer about the photo) belongs to its subject only; the other vehicles are background.</summary>
public sealed record SubjectSettings
{
    /// <summary>Weight of centrality in a box's score: score = (box area / photo area) × (1 − centreWeight × d),
    /// d the distance of the box centre from the photo centre over half the diagonal (0 centre, 1 corner).
    /// Default 0.5; 0 means the largest box wins.</summary>
    public double CentreWeight { get; init; } = 0.5;

    /// <summary>The best box is the subject only when its score is at least this many times the
    /// second best's; otherwise the photo is ambiguous and no crop gets the photo's label. Default 2.</summary>
    public double Dominance { get; init; } = 2.0;

    /// <summary>Smallest share of the photo the subject's box must cover (a lone tiny car far away is not
    /// what a photo-level label is about). Default 0.05.</summary>
    public double MinPhotoShare { get; init; } = 0.05;

    /// <summary>Problems with field paths under <paramref name="prefix"/>.</summary>
    public IEnumerable<SettingError> Validate(string prefix)
    {
        if (!(CentreWeight is >= 0 and <= 1)) yield return new($"{prefix}centreWeight", $"is {CentreWeight}; expected 0..1");
        if (!(Dominance >= 1 && double.IsFinite(Dominance))) yield return new($"{prefix}dominance", $"is {Dominance}; expected 1 or more (e.g. 2: the subject scores twice the next vehicle)");
        if (!(MinPhotoShare is >= 0 and < 1)) yield return new($"{prefix}minPhotoShare", $"is {MinPhotoShare}; expected a fraction in [0, 1)");
    }
}

/// <summary>How a crop's photo-level labels were attributed. <see cref="Subject"/> true: the crop is the
/// photo's subject and carries the photo's labels (attributedFrom photo, rule subject); false: a
/// background vehicle (or an ambiguous photo), which gets no label from the photo.</summary>
public sealed record CropAttribution
{
    public const string SubjectRuleName = "subject";
    public const string FromPhoto = "photo";

    public required string CropId { get; init; }
    public required string ParentId { get; init; }
    public required string ModelSha256 { get; init; }
    public required bool Subject { get; init; }
    /// <summary>The rule that decided: <c>subject</c>.</summary>
    public string Rule { get; init; } = SubjectRuleName;
    /// <summary>Why, in words: the box's score and share, and what it was compared with.</summary>
    public required string Reason { get; init; }
    /// <summary>The <see cref="SubjectSettings"/> used, as JSON.</summary>
    public required string SettingsJson { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
}

/// <summary>A vehicle box of a photo that became a crop.</summary>
public sealed record CroppedBox(string CropId, BoundingBox Box);

/// <summary>Picks the subject of a photo among its cropped vehicles (see <see cref="SubjectSettings"/>).
/// Pure: the same boxes and settings give the same decision.</summary>
public static class SubjectRule
{
    public sealed record Decision(string CropId, bool Subject, string Reason);

    public static double Score(BoundingBox box, int width, int height, SubjectSettings settings)
    {
        var share = width <= 0 || height <= 0 ? 0 : box.Area / ((double)width * height);
        var dx = (box.X1 + box.X2) / 2.0 - width / 2.0;
        var dy = (box.Y1 + box.Y2) / 2.0 - height / 2.0;
        var halfDiagonal = Math.Sqrt((double)width * width + (double)height * height) / 2;
        var d = halfDiagonal <= 0 ? 0 : Math.Min(1, Math.Sqrt(dx * dx + dy * dy) / halfDiagonal);
        return share * (1 - settings.CentreWeight * d);
    }

    /// <summary>One decision per crop (a crop id cut twice counts once, by its best box).</summary>
    public static IReadOnlyList<Decision> Decide(IReadOnlyList<CroppedBox> crops, int width, int height, SubjectSettings settings)
    {
        var scored = crops.GroupBy(c => c.CropId, StringComparer.Ordinal)
            .Select(g => g.Select(c => (c.CropId, c.Box, Score: Score(c.Box, width, height, settings))).MaxBy(x => x.Score))
            .OrderByDescending(x => x.Score).ThenBy(x => x.CropId, StringComparer.Ordinal).ToList();
        if (scored.Count == 0) return [];
        var best = scored[0];
        var share = best.Box.Area / Math.Max(1.0, (double)width * height);
        string? refusal = null;
        if (share < settings.MinPhotoShare)
            refusal = $"largest-scoring vehicle covers {Pct(share)} of the photo, below minPhotoShare {Pct(settings.MinPhotoShare)}";
        else if (scored.Count > 1 && best.Score < settings.Dominance * scored[1].Score)
            refusal = $"ambiguous: the best vehicle scores {F(best.Score)}, under dominance {F(settings.Dominance)} × the next {F(scored[1].Score)}";
        var result = new List<Decision>(scored.Count);
        foreach (var s in scored)
        {
            var isBest = s.CropId == best.CropId;
            string reason;
            if (refusal is not null) reason = $"no subject: {refusal}";
            else if (isBest)
                reason = scored.Count == 1
                    ? $"subject: the only vehicle, {Pct(share)} of the photo"
                    : $"subject: score {F(s.Score)} ({Pct(share)} of the photo) ≥ {F(settings.Dominance)} × the next {F(scored[1].Score)}";
            else reason = $"background: score {F(s.Score)} against the subject's {F(best.Score)}";
            result.Add(new Decision(s.CropId, refusal is null && isBest, reason));
        }
        return result;
    }

    private static string Pct(double v) => (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
