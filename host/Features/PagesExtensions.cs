using System.Net;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features;

/// <summary>
/// The web pages: the analysts' designer, the agents' inbox, the supervisors' board, the customers' tracker and the
/// operators' operations page, the branch administrators' branch page,
/// each allowed to its role like the API. Their scripts and the front-end packages (bpmn-js, copied from the npm
/// registry's package at build) are static files; the data comes from the API with the signed-in user's token.
/// </summary>
internal static class PagesExtensions
{
    /// <summary>Each page, the role it is for, and its file under <c>Pages/</c>.</summary>
    public static readonly IReadOnlyList<(string Path, string Role, string File)> Pages =
    [
        ("/designer", Roles.Analyst, "designer.html"),
        ("/inbox", Roles.Agent, "inbox.html"),
        ("/board", Roles.Supervisor, "board.html"),
        ("/tracker", Roles.Customer, "tracker.html"),
        ("/operate", Roles.Operator, "operate.html"),
        ("/branch", Roles.BranchAdmin, "branch.html"),
        ("/decisions", Roles.Analyst, "decisions.html"),
    ];

    /// <summary>Roles besides its own that may open a page: supervisors read the operations page.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> AlsoFor = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["/operate"] = [Roles.Supervisor],
    };

    /// <summary>
    /// The landing of a signed-in user whose roles have no page (a job worker, a branch admin of its own): what the token
    /// is for. Without it the home page would send them to the sign-in, which sends them home again.
    /// </summary>
    public const string AccountPage = "/account";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Pages");

    public static WebApplication UseWorkflowsPages(this WebApplication app)
    {
        app.UseStaticFiles();
        return app;
    }

    public static WebApplication MapWorkflowsPages(this WebApplication app)
    {
        foreach (var (path, role, file) in Pages)
        {
            app.MapGet(path, () => Results.File(Path.Combine(Folder, file), "text/html; charset=utf-8"))
                .RequireAuthorization(p => p.RequireRole([role, .. AlsoFor.GetValueOrDefault(path, [])])).ExcludeFromDescription().WithName("Page" + file[..file.IndexOf('.', StringComparison.Ordinal)]);
        }

        app.MapGet(AccountPage, () => Results.File(Path.Combine(Folder, "account.html"), "text/html; charset=utf-8"))
            .RequireAuthorization(p => p.RequireRole([.. Roles.All, Roles.Worker])).ExcludeFromDescription().WithName("PageAccount");
        app.MapGet("/signin", () => Results.File(Path.Combine(Folder, "signin.html"), "text/html; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        // The home page sends each user to the page of their role, a signed-in user whose roles have none to the page
        // saying what their token is for, and everyone else to the sign-in.
        app.MapGet("/", (HttpContext http) =>
        {
            var caller = Caller.From(http.User);
            var page = Pages.FirstOrDefault(p => caller.Is(p.Role)).Path;
            return Results.Redirect(page ?? (http.User.Identity?.IsAuthenticated == true ? AccountPage : "/signin"));
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>A page's 401 is a redirect to the sign-in and its 403 a page that says whose page it is; elsewhere, problem details.</summary>
    public static async Task<bool> TryAnswerPageStatusAsync(HttpContext http)
    {
        var page = Pages.FirstOrDefault(p => http.Request.Path.Equals(p.Path, StringComparison.OrdinalIgnoreCase));
        if (page.Path is null && http.Request.Path.Equals(AccountPage, StringComparison.OrdinalIgnoreCase)
            && http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            page = (AccountPage, "", "");
        }

        if (page.Path is null)
        {
            return false;
        }

        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            http.Response.StatusCode = StatusCodes.Status302Found;
            http.Response.Headers.Location = "/signin?returnUrl=" + Uri.EscapeDataString(page.Path);
            return true;
        }

        if (http.Response.StatusCode == StatusCodes.Status403Forbidden)
        {
            var caller = Caller.From(http.User);
            http.Response.ContentType = "text/html; charset=utf-8";
            var own = Pages.FirstOrDefault(p => caller.Is(p.Role)).Path ?? AccountPage;
            await http.Response.WriteAsync($"""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not your page</title><link rel="stylesheet" href="/app/app.css"></head>
                <body class="denied"><main><h1>This page is for the {WebUtility.HtmlEncode(page.Role)} role</h1>
                <p>You are signed in as {WebUtility.HtmlEncode(caller.Name)} ({WebUtility.HtmlEncode(string.Join(", ", caller.Roles))}).</p>
                <p><a href="{own}">Go to your page</a> · <a href="/signin">Sign in as someone else</a></p></main></body></html>
                """);
            return true;
        }

        return false;
    }
}
