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

public sealed record CrowdTaskView(CrowdAssignment Assignment, string ImagePath, int Done);

public sealed record NoTasksView(int Done);

public sealed record AdminView(bool HasJobs, CrowdQueueCounts Counts, IReadOnlyList<WorkerScore> Workers, IReadOnlyList<User> Users);

/// <param name="Current">The group shown; null when there are no crops at all.</param>
/// <param name="Decided">Whether decided crops are shown too.</param>
public sealed record ReviewView(IReadOnlyList<ReviewGroup> Groups, string? Current, int Page, bool Decided, string? Note,
    IReadOnlyList<ReviewCellView> Cells, bool HasNext, IReadOnlyList<string> KnownLabels, IReadOnlyList<ReviewBatch> Recent)
{
    public static string Link(string? group, int page, bool decided) =>
        $"/review?group={Uri.EscapeDataString(group ?? "")}&page={page}{(decided ? "&decided=true" : "")}";
}

/// <param name="ShowParent">The parent photo's thumbnail (with the crop's box) is shown beside the crop.</param>
public sealed record ReviewCellView(ReviewItem Item, string CropPath, bool ShowParent);
