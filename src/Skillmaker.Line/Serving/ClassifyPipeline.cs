using System.Diagnostics;
using SkiaSharp;
using Skillmaker.Detection;
using Skillmaker.Vision.Detection;
using Skillmaker.Vision.Imaging;
using Skillmaker.Vision.Skills;

namespace Skillmaker.Serving;

public sealed record DetectionAnswer(string ClassName, float Score, BoundingBox Box, bool Chosen);

public sealed record VehicleAnswer(bool Detected, IReadOnlyList<DetectionAnswer> Detections);

public sealed record StageAnswer
{
    public required string Skill { get; init; }
    public required string Label { get; init; }
    public required float Probability { get; init; }
    public required IReadOnlyList<LabelProbability> Options { get; init; }
    /// <summary>True when the top probability is below the stage's threshold or the crop is
    /// out-of-distribution (see <see cref="Reason"/>): use the options, and the cascade did not go further.</summary>
    public required bool Abstained { get; init; }
    /// <summary>Why it abstained: <c>out-of-distribution</c> (the crop is further from the training data than
    /// the skill's calibrated threshold: probably a class the skill does not know) or <c>low-confidence</c>
    /// (top probability below the threshold); null when it answered.</summary>
    public string? Reason { get; init; }
    /// <summary>The out-of-distribution score (higher = less like the training data); null when the skill
    /// version has no open-set scorer.</summary>
    public float? Ood { get; init; }
    /// <summary>The skill's calibrated threshold on <see cref="Ood"/> (scores above it abstain).</summary>
    public float? OodThreshold { get; init; }
    public required int SkillVersion { get; init; }
    /// <summary>The code commit that trained this skill version.</summary>
    public required string CodeVersion { get; init; }
}

public sealed record ClassifyAnswer
{
    public required VehicleAnswer Vehicle { get; init; }
    /// <summary>One entry per stage run on the chosen crop; empty when there is no vehicle.</summary>
    public required IReadOnlyList<StageAnswer> Cascade { get; init; }
    /// <summary>The code commit of the server that answered.</summary>
    public required string CodeVersion { get; init; }
    public required string DetectorSha256 { get; init; }
    /// <summary>What the cascade classified: <c>crop</c> (the largest vehicle), <c>whole-image</c> (no vehicle
    /// was found and the request or the serving config allowed the whole photo) or <c>none</c>.</summary>
    public string Input { get; init; } = "none";
}

/// <summary>Photo → vehicles → the largest vehicle's crop → the cascade of skills. Stateless and
/// thread-safe; the models it uses are shared.</summary>
public sealed class ClassifyPipeline(YoloDetector detector, DetectorSettings detectorSettings, LiveSkills skills, ServingConfig config, InferenceMetrics metrics, ShadowRunner? shadow = null)
{
    /// <param name="wholeImage">When the detector finds no vehicle, classify the whole photo (also when
    /// the serving config sets <c>wholeImageFallback</c>); the answer says so in <see cref="ClassifyAnswer.Input"/>.</param>
    public ClassifyAnswer Classify(ReadOnlySpan<byte> bytes, bool wholeImage = false)
    {
        using var image = OrientedDecoder.Decode(bytes, config.MaxPixels);
        var started = Stopwatch.GetTimestamp();
        var found = detector.DetectDecoded(image, detectorSettings.Thresholds);
        metrics.ObserveDetector(Stopwatch.GetElapsedTime(started));
        var selected = VehicleSelection.Select(found, detectorSettings, image.Width, image.Height);
        var chosen = selected.Where(s => s.Role == DetectionRole.Vehicle && s.CropRect is not null)
            .OrderByDescending(s => s.Detection.Box.Area).ThenByDescending(s => s.Detection.Score).FirstOrDefault();
        var vehicle = new VehicleAnswer(chosen is not null,
            [.. selected.Where(s => s.Role == DetectionRole.Vehicle).Select(s => new DetectionAnswer(s.Detection.ClassName, s.Detection.Score, s.Detection.Box, ReferenceEquals(s, chosen)))]);
        var whole = chosen is null && (wholeImage || config.WholeImageFallback);
        var cascade = chosen is not null ? RunCascade(image, chosen.CropRect!.Value)
            : whole ? RunCascade(image, new PixelRect(0, 0, image.Width, image.Height)) : [];
        return new ClassifyAnswer
        {
            Vehicle = vehicle, Cascade = cascade, CodeVersion = Common.BuildInfo.CodeVersion, DetectorSha256 = detector.Model.Sha256,
            Input = chosen is not null ? "crop" : whole ? "whole-image" : "none",
        };
    }

    private List<StageAnswer> RunCascade(SKBitmap image, PixelRect rect)
    {
        using var crop = new SKBitmap();
        if (!image.ExtractSubset(crop, new SKRectI(rect.X, rect.Y, rect.X + rect.Width, rect.Y + rect.Height)))
            throw new InvalidOperationException($"Crop {rect} lies outside the {image.Width}x{image.Height} image.");
        var answers = new List<StageAnswer>();
        using var lease = skills.Acquire();
        for (var stage = config.Cascade; stage is not null;)
        {
            var classifier = lease[stage.Skill];
            var started = Stopwatch.GetTimestamp();
            var answer = classifier.Classify(crop);
            var probabilities = answer.Options;
            var elapsed = Stopwatch.GetElapsedTime(started);
            var top = probabilities[0];
            var reason = answer.OutOfDistribution ? "out-of-distribution"
                : top.Probability < (stage.Threshold ?? classifier.AbstainBelow) ? "low-confidence" : null;
            var abstained = reason is not null;
            metrics.ObserveSkill(classifier.Skill, classifier.Version, elapsed, abstained);
            answers.Add(new StageAnswer
            {
                Skill = classifier.Skill, Label = top.Label, Probability = top.Probability, Options = [.. probabilities.Take(stage.TopK ?? classifier.TopK)],
                Abstained = abstained, Reason = reason, Ood = answer.Ood, OodThreshold = answer.OodThreshold, SkillVersion = classifier.Version, CodeVersion = classifier.CodeVersion,
            });
            shadow?.Offer(classifier.Skill, classifier.Version, top.Label, crop);
            stage = abstained ? null : stage.Next.GetValueOrDefault(top.Label);
        }
        return answers;
    }
}
