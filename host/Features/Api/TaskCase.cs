using System.Text.Json;
using System.Xml.Linq;
using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// A variable the journey shows agents beside its tasks: <c>&lt;wf:caseData&gt;&lt;wf:show variable="summary" label="What the
/// customer wrote"/&gt;&lt;/wf:caseData&gt;</c> on the process. Any other variable stays on the server.
/// </summary>
internal sealed record CaseDataItem(string Variable, string Label)
{
    private const string WorkflowsNamespace = "urn:workflows:bpmn:1.0";

    public static IReadOnlyList<CaseDataItem> Read(XElement process) =>
        process.Elements(XName.Get("extensionElements", process.Name.NamespaceName)).Elements()
            .Where(x => x.Name.LocalName == "caseData" && x.Name.NamespaceName == WorkflowsNamespace)
            .Elements().Where(x => x.Name.LocalName == "show" && !string.IsNullOrWhiteSpace((string?)x.Attribute("variable")))
            .Select(x => new CaseDataItem(((string)x.Attribute("variable")!).Trim(), (string?)x.Attribute("label") is { Length: > 0 } label ? label : ((string)x.Attribute("variable")!).Trim()))
            .DistinctBy(x => x.Variable, StringComparer.Ordinal)
            .ToList();
}

/// <summary>
/// A task as its agent works it: the task, the case data the journey and the task's form declare visible (filtered
/// here, never in the page), the form's values from the case's variables, the clocks and the timeline in the journey's words.
/// </summary>
internal sealed record TaskCase(UserTaskInfo Task, string Step, IReadOnlyList<CaseDatum> CaseData, JsonElement FormValues, CaseJourney Journey)
{
    /// <summary>The form's fields the engine sets alone (a form kept from before they were refused): the page shows them, and never sends them back.</summary>
    public IReadOnlyList<string> EngineOwned { get; init; } = [];
}

/// <summary>Where a case stands, in the journey's words: its clocks and its timeline.</summary>
internal sealed record CaseJourney(Guid InstanceId, string Journey, int Version, string? BusinessKey, string? CustomerId, string Status,
    IReadOnlyList<CaseClock> Clocks, IReadOnlyList<TimelineEntry> Timeline);

/// <summary>One piece of case data: the variable, the label the journey gives it and its value.</summary>
internal sealed record CaseDatum(string Variable, string Label, JsonElement Value);

/// <summary>A clock of the case, named as the journey names it.</summary>
internal sealed record CaseClock(string Label, SlaState State, DateTimeOffset? DueAt, DateTimeOffset? EndedAt, bool Paused);

/// <summary>One moment of the case: what happened in words, who did it, and its kind (<c>touchpoint</c>, <c>work</c>, <c>clock</c>, <c>comment</c>).</summary>
internal sealed record TimelineEntry(DateTimeOffset At, string Text, string? Actor, string Kind);

internal static partial class TaskCases
{
    /// <summary>The longest text value shown; longer values are cut (the full value stays in the case).</summary>
    private const int MaxShownText = 2000;

    public static async Task<TaskCase> OfAsync(UserTaskInfo task, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct)
    {
        var snapshot = await engine.Queries.GetInstanceAsync(task.InstanceId, ct);
        var names = await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct);
        // A field inside a group sets the variable its path names: the values shown are the top-level ones.
        var form = task.Form.Select(f => f.Id.Split('.')[0]).ToHashSet(StringComparer.Ordinal);
        var shown = names.CaseData.Where(c => snapshot.Variables.ContainsKey(c.Variable)).ToList();
        var visible = snapshot.Variables.Where(v => form.Contains(v.Key) || shown.Any(c => c.Variable == v.Key))
            .ToDictionary(v => v.Key, v => Shorten(v.Value), StringComparer.Ordinal);
        var json = ApiJson.ToJson(visible);
        var caseData = shown.Select(c => new CaseDatum(c.Variable, c.Label, json.GetProperty(c.Variable))).ToList();
        var formValues = ApiJson.ToJson(visible.Where(v => form.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal));
        return new TaskCase(task, StepName(names, task.ElementId, task.Name), caseData, formValues, await JourneyAsync(snapshot, names, engine, ct))
        {
            EngineOwned = InputRules.EngineOwnedOf(task.Form),
        };
    }

    public static async Task<CaseJourney> JourneyAsync(ProcessInstanceSnapshot snapshot, ProcessNames names, WorkflowEngine engine, CancellationToken ct)
    {
        var clocks = await engine.ServiceLevels.GetClocksAsync(snapshot.Id, ct);
        var history = await engine.Queries.GetHistoryAsync(snapshot.Id, ct);
        return new CaseJourney(snapshot.Id, names.Name, snapshot.Version, snapshot.BusinessKey, snapshot.CustomerId, CaseView.StatusOf(snapshot.Status),
            clocks.Select(c => new CaseClock(ClockLabel(names, c), c.State, c.TargetAt, c.EndedAt, c.PauseReason is not null)).ToList(),
            Timeline(history, names, clocks));
    }

    private static object? Shorten(object? value) => value is string { Length: > MaxShownText } text ? text[..MaxShownText] + "…" : value;

    /// <summary>The step's name, else words for its kind: the page never shows an element id.</summary>
    public static string StepName(ProcessNames names, string? elementId, string? name = null)
    {
        if (!string.IsNullOrWhiteSpace(name))
        {
            return name;
        }

        // An id that is no element of the process is the process itself (its own clocks), or nothing at all.
        var element = names.Of(elementId);
        return element is null ? (elementId is null ? "the case" : names.Name)
            : !string.IsNullOrWhiteSpace(element.Name) ? element.Name
            : element.Kind switch
            {
                "userTask" => "an unnamed task",
                "serviceTask" or "scriptTask" or "businessRuleTask" => "an automatic step",
                "sendTask" or "intermediateThrowEvent" => "a message sent",
                "receiveTask" or "intermediateCatchEvent" => "a wait",
                _ => "an unnamed step",
            };
    }

    private static string ClockLabel(ProcessNames names, SlaClockInfo clock) =>
        !string.IsNullOrWhiteSpace(clock.Label) ? clock.Label
        : clock.Kind == "commitment" ? $"Commitment on {StepName(names, clock.ElementId)}" : $"Time allowed for {StepName(names, clock.ElementId)}";

    /// <summary>
    /// The case's history as an agent tells it: touchpoints, the work on tasks, comments, clocks that warned, breached or
    /// escalated. Engine mechanics (tokens entering elements, jobs, gateways) and the engine's detail strings are left out.
    /// </summary>
    public static IReadOnlyList<TimelineEntry> Timeline(IReadOnlyList<HistoryEntry> history, ProcessNames names, IReadOnlyList<SlaClockInfo> clocks)
    {
        var entries = new List<TimelineEntry>();
        foreach (var h in history)
        {
            var step = StepName(names, h.ElementId);
            string Clock() => clocks.FirstOrDefault(c => c.ElementId == h.ElementId) is { } c ? ClockLabel(names, c) : $"Time allowed for {step}";
            var (text, kind) = h.Kind switch
            {
                "instance-started" => ("Case opened", "touchpoint"),
                "instance-completed" => ("Case closed", "touchpoint"),
                "instance-cancelled" => ("Case withdrawn", "touchpoint"),
                "task-created" => ($"{step}: waiting for an agent", "work"),
                "task-claimed" => ($"{step}: taken", "work"),
                "task-unclaimed" => ($"{step}: put back in the queue", "work"),
                "task-delegated" => ($"{step}: handed to {h.Detail}", "work"),
                "task-moved" => ($"{step}: moved to the {h.Detail} queue", "work"),
                "task-comment" => ($"Comment on {step}: “{h.Detail}”", "comment"),
                "task-completed" => ($"Done: {step}", "touchpoint"),
                "message-sent" => ($"Handed over: {step}", "touchpoint"),
                "message-correlated" => ($"Answer received: {step}", "touchpoint"),
                "satisfaction-recorded" => ($"Customer satisfaction recorded at {step}", "touchpoint"),
                "recovery-task-created" => ("An unhappy customer: a recovery task opened", "clock"),
                "clock-warning" => ($"{Clock()}: close to its limit", "clock"),
                "clock-breached" => ($"{Clock()}: limit passed", "clock"),
                "clock-escalated" => ($"{Clock()}: escalated", "clock"),
                "clock-paused" => ($"{Clock()}: paused", "clock"),
                "clock-resumed" => ($"{Clock()}: running again", "clock"),
                "incident-raised" => ($"{step}: stopped, waiting for operations", "clock"),
                "incident-resolved" => ($"{step}: running again", "work"),
                "element-completed" when names.Of(h.ElementId) is { Kind: "endEvent" or "intermediateCatchEvent", Name.Length: > 0 } => (step, "touchpoint"),
                _ => (null, ""),
            };
            if (text is not null)
            {
                entries.Add(new TimelineEntry(h.At, text, Actor(h), kind));
            }
        }

        return entries;
    }

    // What the engine did by itself (a clock that escalated, a timer, a failed step) carries the node that ran it as its
    // actor (host:pid), which means nothing to an agent: the timeline says the journey did it.
    private static readonly HashSet<string> s_automatic = new(StringComparer.Ordinal)
    {
        "clock-warning", "clock-breached", "clock-escalated", "recovery-task-created", "incident-raised",
    };

    private static string? Actor(HistoryEntry entry) => entry switch
    {
        { Kind: "clock-escalated" } => "automatic escalation",
        { Kind: var kind } when s_automatic.Contains(kind) => "automatic",
        { Actor: { } actor } when NodeId().IsMatch(actor) => "automatic",
        _ => entry.Actor,
    };

    // The engine's default node id, machine name and process id (Workflows:Engine:NodeId): never a user's name, which has no colon.
    [System.Text.RegularExpressions.GeneratedRegex("^[^:\\s]+:\\d+$")]
    private static partial System.Text.RegularExpressions.Regex NodeId();
}
