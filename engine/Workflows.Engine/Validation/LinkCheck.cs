using Workflows.Engine.Model;

namespace Workflows.Engine.Validation;

/// <summary>
/// Link events pair by name within one scope (BPMN 2.0 §10.5.6; Camunda 8 refuses the deployment otherwise): every link
/// throw needs exactly one catch of its name in its own scope. Reported on the element through <c>report(node, code, message)</c>.
/// </summary>
internal static class LinkCheck
{
    public static void Check(ProcessModel process, Action<FlowNode, string, string> report)
    {
        var links = process.Nodes.Values.Where(n => n.Event?.Type == EventType.Link && !string.IsNullOrEmpty(n.Event.LinkName)).ToList();
        if (links.Count == 0)
        {
            return;
        }

        var catches = links.Where(n => n.Kind == NodeKind.IntermediateCatchEvent).ToLookup(n => (n.Parent, n.Event!.LinkName));
        foreach (var group in catches.Where(g => g.Count() > 1))
        {
            foreach (var duplicate in group.Skip(1))
            {
                report(duplicate, "LINK_CATCH_DUPLICATE",
                    $"link catch events '{group.First().Id}' and '{duplicate.Id}' share the name '{group.Key.LinkName}' in one scope: a link throw could go to only one of them; give each its own name");
            }
        }

        foreach (var thrower in links.Where(n => n.Kind == NodeKind.IntermediateThrowEvent))
        {
            var name = thrower.Event!.LinkName!;
            if (catches[(thrower.Parent, name)].Any())
            {
                continue;
            }

            var elsewhere = links.FirstOrDefault(n => n.Kind == NodeKind.IntermediateCatchEvent && n.Event!.LinkName == name);
            report(thrower, "LINK_CATCH_MISSING", elsewhere is null
                ? $"no link catch event is named '{name}': the link throw has nowhere to go"
                : $"the link catch event named '{name}' ('{elsewhere.Id}') is in another scope: a link goes only to a catch in the throw's own process or sub-process");
        }
    }
}
