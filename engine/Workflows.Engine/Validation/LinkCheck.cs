using Workflows.Engine.Model;

namespace Workflows.Engine.Validation;

/// <summary>
/// Link events pair up within a scope, as Zeebe requires at deploy: each link throw needs exactly one link catch of its
/// name in the same scope (the process or the sub-process holding both). A throw with none would fail every instance
/// that reaches it; with two, one of them would never run. Each problem is reported on the element through
/// <c>report(node, code, message)</c>.
/// </summary>
internal static class LinkCheck
{
    public static void Check(ProcessModel process, Action<FlowNode, string, string> report)
    {
        var links = process.Nodes.Values.Where(n => n.Event?.Type == EventType.Link && !string.IsNullOrEmpty(n.Event.LinkName)).ToList();
        var catches = links.Where(n => n.Kind == NodeKind.IntermediateCatchEvent).ToLookup(n => (n.Parent, n.Event!.LinkName));
        foreach (var same in catches.Where(g => g.Count() > 1))
        {
            foreach (var extra in same.Skip(1))
            {
                report(extra, "LINK_CATCH_DUPLICATE",
                    $"link catch events '{string.Join("', '", same.Select(n => n.Id))}' have the same name '{same.Key.LinkName}' in one scope; a link throw would reach only the first, give each its own name");
            }
        }

        foreach (var thrown in links.Where(n => n.Kind == NodeKind.IntermediateThrowEvent && !catches.Contains((n.Parent, n.Event!.LinkName))))
        {
            var elsewhere = links.Where(n => n.Kind == NodeKind.IntermediateCatchEvent && n.Event!.LinkName == thrown.Event!.LinkName).Select(n => n.Id).ToList();
            report(thrown, "LINK_CATCH_MISSING", $"no link catch event named '{thrown.Event!.LinkName}' in the same scope as the link throw"
                + (elsewhere.Count > 0 ? $" ('{string.Join("', '", elsewhere)}' of that name are in another scope, which a link cannot reach)" : ""));
        }
    }
}
