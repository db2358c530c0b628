using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// What an agent sees of an instance: the case data its journey declares visible to agents (<c>wf:caseData</c>), as the
/// inbox's task case does, and nothing else of its variables. Supervisors (and operators, on their own endpoints) see
/// the whole instance; an agent works cases, and a variable the journey did not open to agents (a credit score, a note
/// of the back office) stays on the server. The filter is here, never in a page.
/// </summary>
internal static class AgentViews
{
    /// <summary>History kinds whose detail an agent reads: the inbox's timeline shows them (to whom, which queue, the comment).</summary>
    private static readonly HashSet<string> s_detailsShown = new(["task-delegated", "task-moved", "task-comment"], StringComparer.Ordinal);

    /// <summary>Whether <paramref name="caller"/> sees an instance only as an agent does: an agent who is not also a supervisor.</summary>
    public static bool SeesCaseDataOnly(Caller caller) => caller.Is(Roles.Agent) && !caller.Is(Roles.Supervisor);

    /// <summary>
    /// The instance as an agent sees it: variables cut to the declared case data; history without the engine's detail
    /// strings (a failed job's message, a satisfaction score, a modification's reason may carry case values), but for
    /// the kinds the timeline tells; incidents without their cause (operations read it).
    /// </summary>
    public static InstanceView ForAgent(InstanceView view, ProcessInstanceSnapshot snapshot, ProcessNames names)
    {
        var shown = names.CaseData.Select(c => c.Variable).ToHashSet(StringComparer.Ordinal);
        var variables = snapshot.Variables.Where(v => shown.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return view with
        {
            Variables = ApiJson.ToJson(variables),
            History = view.History.Select(h => s_detailsShown.Contains(h.Kind) ? h : h with { Detail = null }).ToList(),
            Incidents = view.Incidents.Select(i => i with { Message = "stopped, waiting for operations (supervisors and operators read the cause)" }).ToList(),
        };
    }
}
