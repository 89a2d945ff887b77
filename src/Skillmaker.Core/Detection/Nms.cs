namespace Skillmaker.Detection;

/// <summary>Non-maximum suppression: of boxes that overlap by more than an IoU threshold, only the
/// best-scoring survives. Deterministic: ties are broken by the candidates' order.</summary>
public static class Nms
{
    /// <summary>Class-aware NMS: a box only suppresses boxes of its own class.</summary>
    public static List<DetectedObject> PerClass(IEnumerable<DetectedObject> candidates, float iouThreshold) =>
        Suppress(candidates, iouThreshold, sameGroup: (a, b) => a.ClassId == b.ClassId);

    /// <summary>Class-agnostic NMS: any box suppresses any other.</summary>
    public static List<DetectedObject> AcrossClasses(IEnumerable<DetectedObject> candidates, float iouThreshold) =>
        Suppress(candidates, iouThreshold, sameGroup: (_, _) => true);

    private static List<DetectedObject> Suppress(IEnumerable<DetectedObject> candidates, float iouThreshold, Func<DetectedObject, DetectedObject, bool> sameGroup)
    {
        if (iouThreshold is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "IoU threshold must be within 0..1.");
        // A stable sort keeps equal scores in input order, so the result does not depend on the sort.
        var sorted = candidates.Select((d, i) => (d, i)).OrderByDescending(x => x.d.Score).ThenBy(x => x.i).Select(x => x.d).ToList();
        var kept = new List<DetectedObject>();
        foreach (var candidate in sorted)
        {
            var suppressed = false;
            foreach (var k in kept)
                if (sameGroup(k, candidate) && k.Box.IntersectionOverUnion(candidate.Box) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            if (!suppressed) kept.Add(candidate);
        }
        return kept;
    }
}
