using Skillmaker.Imaging;

namespace Skillmaker.Catalog;

/// <summary>Near-duplicate search by perceptual hash.</summary>
public static class NearDuplicates
{
    /// <summary>Links from <paramref name="image"/> to every known image within <paramref name="maxDistance"/>
    /// bits, nearest first (ties by id, so the order never depends on the order images arrived in).</summary>
    public static List<NearDuplicateLink> Find(ImageRecord image, IEnumerable<(string ImageId, ulong PerceptualHash)> known, int maxDistance)
    {
        var links = new List<NearDuplicateLink>();
        foreach (var (otherId, hash) in known)
        {
            var distance = PerceptualHash.Distance(image.PerceptualHash, hash);
            if (distance <= maxDistance && otherId != image.Id)
                links.Add(new NearDuplicateLink(image.Id, otherId, distance));
        }
        links.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : string.CompareOrdinal(a.OtherImageId, b.OtherImageId));
        return links;
    }
}
