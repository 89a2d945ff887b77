namespace Skillmaker.Review;

/// <summary>What a crop can be relabelled as without confirming a new class, in the order the review page
/// offers it.</summary>
/// <param name="Defined">The labels the classes of the workspace's dataset definitions are made of (the newest
/// definition of each dataset, as <c>extract</c> recorded it), offered first: a crop relabelled as one of these
/// counts in that class at the next extract.</param>
/// <param name="Others">Every other label the catalog knows (confirmed or hinted, not rejected).</param>
public sealed record RelabelChoices(IReadOnlyList<DefinedLabel> Defined, IReadOnlyList<string> Others)
{
    /// <summary>Every label offered, defined ones first.</summary>
    public IEnumerable<string> Labels => Defined.Select(d => d.Label).Concat(Others);
}

/// <param name="Label">The label a crop is given.</param>
/// <param name="Classes">Where it counts, as "dataset: class", one per dataset that uses it.</param>
public sealed record DefinedLabel(string Label, IReadOnlyList<string> Classes)
{
    /// <summary>The label, and the classes it counts in when one of them is named otherwise.</summary>
    public string Text
    {
        get
        {
            var named = Classes.Where(c => !c.EndsWith(": " + Label, StringComparison.Ordinal)).ToList();
            return named.Count == 0 ? Label : $"{Label} ({string.Join("; ", named)})";
        }
    }
}
