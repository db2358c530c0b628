using System.Security.Claims;

namespace Workflows.Host.Features.Security;

/// <summary>The roles the API knows; a user may hold several.</summary>
internal static class Roles
{
    /// <summary>Models processes and deploys them to the library.</summary>
    public const string Analyst = "analyst";

    /// <summary>Pins the versions and sets the calendar of its own branch.</summary>
    public const string BranchAdmin = "branch-admin";

    /// <summary>Works the tasks of its own queues in its own branch.</summary>
    public const string Agent = "agent";

    /// <summary>Reads the work and service levels of its own branch.</summary>
    public const string Supervisor = "supervisor";

    /// <summary>Raises and follows its own cases only.</summary>
    public const string Customer = "customer";

    /// <summary>Inspects, searches and repairs the instances of its own branch (<c>*</c> for central teams): the operations page, incident retries, modification, batch operations.</summary>
    public const string Operator = "operator";

    /// <summary>A program that takes jobs of service tasks over HTTP and answers them, for its own branch (or every one with <c>*</c>).</summary>
    public const string Worker = "worker";

    /// <summary>Every staff role (everyone but customers).</summary>
    public static readonly string[] Staff = [Analyst, BranchAdmin, Agent, Supervisor, Operator];

    public static readonly string[] All = [Analyst, BranchAdmin, Agent, Supervisor, Operator, Customer];
}

/// <summary>The claims a Workflows token carries besides the role claims.</summary>
internal static class WorkflowsClaims
{
    public const string Name = "sub";
    public const string Role = "role";

    /// <summary>The branch of a branch admin, agent, supervisor or operator; <c>*</c> for a central team that serves every branch.</summary>
    public const string Branch = "branch";

    /// <summary>An agent's queue; one claim per queue.</summary>
    public const string Queue = "queue";

    /// <summary>A customer's customer id.</summary>
    public const string Customer = "customer";

    public const string AllBranches = "*";
}

/// <summary>Who calls, as the signed token says; the handlers decide on resources with it.</summary>
internal sealed record Caller(string Name, IReadOnlySet<string> Roles, string? Branch, IReadOnlyList<string> Queues, string? CustomerId)
{
    public static Caller From(ClaimsPrincipal user)
    {
        var claims = TokenClaims.Of(user);
        return new(claims.Name ?? user.Identity?.Name ?? "", claims.Roles, claims.Branch, claims.Queues, claims.CustomerId);
    }

    public bool Is(string role) => Roles.Contains(role);

    /// <summary>Whether the caller's branch covers <paramref name="branch"/>.</summary>
    public bool Serves(string? branch) => Branch == WorkflowsClaims.AllBranches || (Branch is not null && Branch == branch);

    /// <summary>The branch the caller's lists are limited to: its own, or none for a central team.</summary>
    /// <exception cref="ForbiddenException">The caller has no branch: it is never taken for every branch.</exception>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? BranchFilter => Branch switch
    {
        WorkflowsClaims.AllBranches => null,
        null => throw new ForbiddenException($"{Name} has no branch claim; staff tokens must name a branch, or * for a central team"),
        var own => own,
    };

    /// <summary>Roles whose work is bounded by a branch: their tokens must carry a <c>branch</c> claim.</summary>
    public static readonly string[] BranchBound = [Security.Roles.BranchAdmin, Security.Roles.Agent, Security.Roles.Supervisor, Security.Roles.Operator, Security.Roles.Worker];

    /// <summary>Refuses a branch the caller named (in a query, a body, a path) that its own does not cover.</summary>
    /// <param name="branch">The branch the caller named.</param>
    /// <param name="what">What the caller asked for in it ("the instances", "a journey"), for the problem's text.</param>
    /// <exception cref="ForbiddenException">The caller's branch does not cover <paramref name="branch"/>: 403 naming only that branch and the caller's own.</exception>
    public void MustServe(string? branch, string what)
    {
        if (!Serves(branch))
        {
            throw new ForbiddenException($"{what} of branch '{branch ?? "none"}': {Name} works for branch '{Branch ?? "none"}' only");
        }
    }

    /// <summary>
    /// Hides a resource of a branch the caller does not serve as if it did not exist: the caller learns neither that it
    /// exists nor which branch it belongs to (docs/security.md, "Another branch's resources").
    /// </summary>
    /// <param name="branch">The resource's branch.</param>
    /// <param name="notFound">The text an unknown id of the same kind gets, word for word.</param>
    /// <exception cref="Engine.WorkflowNotFoundException">The caller's branch does not cover <paramref name="branch"/>.</exception>
    public void MustSee(string? branch, string notFound)
    {
        if (!Serves(branch))
        {
            throw new Engine.WorkflowNotFoundException(notFound);
        }
    }
}

/// <summary>The caller may use the endpoint but not on this resource (another branch, another customer's case, another queue).</summary>
internal sealed class ForbiddenException(string message) : Exception(message);

/// <summary>
/// The engine's words for an id that names nothing, repeated by <see cref="Caller.MustSee"/> for a resource of another
/// branch so that the two answers cannot be told apart (a test compares them with the engine's).
/// </summary>
internal static class Unknown
{
    public static string Instance(Guid id) => $"process instance {id} does not exist";

    public static string Task(Guid id) => $"user task {id} does not exist";

    public static string Job(Guid id) => $"job {id} does not exist (it was completed, cancelled or never created)";

    public static string Batch(Guid id) => $"batch {id} does not exist";

    public static string Incident(Guid id) => $"incident {id} does not exist";

    public static string ParkedMessage(Guid id) => $"no parked message has the id {id}";
}
