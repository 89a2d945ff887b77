using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Skillmaker.Server.Pages;

/// <summary>A page rendered from one model that its endpoint builds: the endpoint does the work and the
/// page only shows it.</summary>
public abstract class PageComponent<TModel> : ComponentBase
{
    [Parameter, EditorRequired] public TModel Model { get; set; } = default!;
}

/// <summary>Pages as minimal API results (static server-side rendering, HTML-encoded by Razor).</summary>
internal static class PageResult
{
    /// <summary>The page <typeparamref name="TPage"/> showing <paramref name="model"/>; the constraint checks
    /// at compile time that the page takes this model.</summary>
    public static IResult Of<TPage, TModel>(TModel model, int status = StatusCodes.Status200OK) where TPage : PageComponent<TModel> =>
        new RazorComponentResult<TPage>(new Dictionary<string, object?> { [nameof(PageComponent<TModel>.Model)] = model }) { StatusCode = status };

    /// <summary>A short page that says what happened and links on.</summary>
    public static IResult Message(MessageView message, int status) => Of<MessagePage, MessageView>(message, status);

    /// <summary>What a signed-in user sees on a page their role may not open.</summary>
    public static IResult Forbidden() => Message(new MessageView("Not allowed",
        "Your account cannot open this page. Reviewing and administration need an expert or admin account.", "/crowd", "Go to your crowd tasks") { Alert = false },
        StatusCodes.Status403Forbidden);
}
