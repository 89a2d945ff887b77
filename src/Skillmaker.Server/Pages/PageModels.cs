using Microsoft.AspNetCore.Http;
using Skillmaker.Crowd;
using Skillmaker.Review;
using Skillmaker.Users;

namespace Skillmaker.Server.Pages;

public sealed record LoginView(string? Token, string? Error);

public sealed record MessageView(string Title, string Text, string Href, string LinkText)
{
    /// <summary>The page's h1; the title unless given.</summary>
    public string? Heading { get; init; }
    /// <summary>Shown as an error (red, announced); false for plain information.</summary>
    public bool Alert { get; init; } = true;
    public string? LinkClass { get; init; }
}

public sealed record CrowdTaskView(CrowdAssignment Assignment, string ImagePath, int Done, IReadOnlyList<GuideView> Guide);

/// <summary>The crowd page before a task is reserved: instructions and a Start button.</summary>
public sealed record CrowdStartView(int Done, IReadOnlyList<GuideView> Guide);

/// <param name="ExamplePath">A signed link to the example crop; null when the option has none.</param>
public sealed record GuideView(GuideEntry Entry, string? ExamplePath);

/// <param name="Saved">What was saved, after a save.</param>
/// <param name="Error">Why nothing was saved.</param>
public sealed record InstructionsView(IReadOnlyList<GuideView> Guide, string? Saved, string? Error);

public sealed record NoTasksView(int Done);

public sealed record AdminView(bool HasJobs, CrowdQueueCounts Counts, IReadOnlyList<WorkerScore> Workers, IReadOnlyList<User> Users);

/// <param name="Current">The group shown; null when there are no crops at all.</param>
/// <param name="Decided">Whether decided crops are shown too.</param>
/// <param name="Relabel">The classes a crop can be relabelled as without confirming a new class: the dataset
/// definitions' first, then the other known labels.</param>
public sealed record ReviewView(IReadOnlyList<ReviewGroup> Groups, string? Current, int Page, bool Decided, string? Note,
    IReadOnlyList<ReviewCellView> Cells, bool HasNext, RelabelChoices Relabel, IReadOnlyList<ReviewBatch> Recent,
    ReviewFilter Filter, IReadOnlyList<string> Sources)
{
    /// <summary>The action the note is about, while it can still be undone.</summary>
    public ReviewBatch? LastBatch { get; init; }

    public static string Link(string? group, int page, bool decided, ReviewFilter? filter = null) =>
        $"/review?group={Uri.EscapeDataString(group ?? "")}&page={page}{(decided ? "&decided=true" : "")}{filter?.QueryString() ?? ""}";

    public string Link(int page, ReviewFilter? filter = null) => Link(Current, page, Decided, filter ?? Filter);
}

/// <param name="Box">Where the crop was cut from its photo (the photo's thumbnail is shown with it); null when unknown.</param>
public sealed record ReviewCellView(ReviewItem Item, string CropPath, CropBox? Box)
{
    public bool ShowParent => Box is not null;
}

/// <summary>The review grid's filters and zoom, as they travel in the address (and in the forms, so a
/// decision keeps them). Empty strings mean "any".</summary>
/// <param name="Size">small (shorter side under 100 px), 100 or 300 (at least that many pixels).</param>
/// <param name="Confidence">low (detector score under 0.5), 50 or 80 (at least 0.5, 0.8).</param>
/// <param name="Zoom">s, m (default) or l: the size of the tiles.</param>
public sealed record ReviewFilter(string Source, string Size, string Confidence, string Zoom)
{
    public static readonly IReadOnlyList<(string Value, string Text)> Sizes =
        [("", "any size"), ("small", $"small (under {ReviewItem.SmallSide} px)"), ("100", $"{ReviewItem.SmallSide} px and more"), ("300", "300 px and more")];
    public static readonly IReadOnlyList<(string Value, string Text)> Confidences =
        [("", "any confidence"), ("low", "under 0.5"), ("50", "0.5 and more"), ("80", "0.8 and more")];
    public static readonly IReadOnlyList<(string Value, string Text)> Zooms = [("s", "Small tiles"), ("m", "Medium tiles"), ("l", "Large tiles")];

    public static ReviewFilter From(IQueryCollection query) => Checked(query["source"], query["size"], query["conf"], query["zoom"]);

    public static ReviewFilter FromForm(IFormCollection form)
    {
        try
        {
            return Checked(form["source"], form["size"], form["conf"], form["zoom"]);
        }
        catch (Common.SkillmakerException)
        {
            return new("", "", "", "m");
        }
    }

    private static ReviewFilter Checked(string? source, string? size, string? confidence, string? zoom)
    {
        size ??= "";
        confidence ??= "";
        zoom = string.IsNullOrEmpty(zoom) ? "m" : zoom;
        if (Sizes.All(s => s.Value != size)) throw new Common.SkillmakerException($"Size '{size}' is not a size filter; expected small, 100 or 300.");
        if (Confidences.All(c => c.Value != confidence)) throw new Common.SkillmakerException($"Confidence '{confidence}' is not a confidence filter; expected low, 50 or 80.");
        if (Zooms.All(z => z.Value != zoom)) throw new Common.SkillmakerException($"Zoom '{zoom}' is not a zoom; expected s, m or l.");
        return new(source ?? "", size, confidence, zoom);
    }

    public ReviewQuery Apply(ReviewQuery query) => query with
    {
        Source = Source.Length == 0 ? null : Source,
        MaxSide = Size == "small" ? ReviewItem.SmallSide - 1 : null,
        MinSide = Size switch { "100" => ReviewItem.SmallSide, "300" => 300, _ => null },
        BelowConfidence = Confidence == "low" ? 0.5 : null,
        MinConfidence = Confidence switch { "50" => 0.5, "80" => 0.8, _ => null },
    };

    public bool Any => Source.Length > 0 || Size.Length > 0 || Confidence.Length > 0;

    /// <summary>The filters as "&amp;name=value" pairs (only those set), for links.</summary>
    public string QueryString() =>
        (Source.Length > 0 ? $"&source={Uri.EscapeDataString(Source)}" : "") + (Size.Length > 0 ? $"&size={Size}" : "")
        + (Confidence.Length > 0 ? $"&conf={Confidence}" : "") + (Zoom != "m" ? $"&zoom={Zoom}" : "");
}
