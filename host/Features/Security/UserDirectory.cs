namespace Workflows.Host.Features.Security;

/// <summary>
/// The users this host knows by name, with the branch each works for: the demo users when they are on, and the agents
/// named under <c>Workflows:Auth:Users</c> (<c>Workflows__Auth__Users__luc=lyon-01</c>; <c>*</c> for a central team).
/// A task is delegated only to one of them, in a branch that covers the task's: a token names its own caller, never
/// the others, so without a directory a delegation could hand a task to a name nobody signs in with.
/// </summary>
internal sealed class UserDirectory(AuthOptions options)
{
    /// <summary>A known user: its name, its roles and the branch it works for (<c>*</c>: every branch).</summary>
    internal sealed record Entry(string Name, IReadOnlyList<string> Roles, string? Branch);

    /// <summary>The user named <paramref name="name"/>, or null when this host does not know it.</summary>
    public Entry? Find(string name)
    {
        if (options.Users.TryGetValue(name, out var branch))
        {
            return new Entry(name, [Security.Roles.Agent], branch);
        }

        return options.DemoUsers == true && SecurityExtensions.DemoUsers.FirstOrDefault(u => u.Name == name) is { } demo
            ? new Entry(demo.Name, demo.Roles, demo.Branch)
            : null;
    }

    /// <summary>Every agent this host knows by name, with its branch.</summary>
    public IEnumerable<Entry> Agents() =>
        options.Users.Select(u => new Entry(u.Key, [Security.Roles.Agent], u.Value))
            .Concat(options.DemoUsers == true
                ? SecurityExtensions.DemoUsers.Where(u => u.Roles.Contains(Security.Roles.Agent, StringComparer.Ordinal) && !options.Users.ContainsKey(u.Name)).Select(u => new Entry(u.Name, u.Roles, u.Branch))
                : []);

    /// <summary>The agent a task of <paramref name="taskBranch"/> may be delegated to.</summary>
    /// <exception cref="Engine.WorkflowInputException">No known user has that name, or it is not an agent: 400 naming it.</exception>
    /// <exception cref="ForbiddenException">The user works for a branch that does not cover the task's: 403 naming the task's (the caller's own), not the user's.</exception>
    public Entry DelegationTarget(string name, string? taskBranch)
    {
        var user = Find(name) ?? throw new Engine.WorkflowInputException(
            $"to: no user '{name}' is known here; a task is delegated to a demo user or to an agent named under Workflows:Auth:Users");
        if (!user.Roles.Contains(Security.Roles.Agent, StringComparer.Ordinal))
        {
            throw new Engine.WorkflowInputException($"to: '{name}' is no agent ({string.Join(", ", user.Roles)}); only agents work tasks");
        }

        return user.Branch == WorkflowsClaims.AllBranches || (user.Branch is not null && user.Branch == taskBranch)
            ? user
            : throw new ForbiddenException($"to: '{name}' does not work for the task's branch '{taskBranch ?? "none"}'");
    }
}
