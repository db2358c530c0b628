using System.Globalization;
using System.Xml.Linq;

namespace Workflows.Engine.Model;

/// <summary>Standard loops, ad-hoc sub-processes and complex gateways: what each reads beyond an ordinary flow node.</summary>
internal sealed partial class BpmnParser
{
    private void ReadStandardLoop(XElement loop, FlowNode node)
    {
        _document.Count("standardLoopCharacteristics");
        var conditionText = loop.Element(XName.Get("loopCondition", BpmnNs))?.Value.Trim();
        var condition = string.IsNullOrEmpty(conditionText) ? null : Expression(conditionText, loop, "loopCondition", alwaysFeel: true);
        int? maximum = null;
        if (Attr(loop, "loopMaximum") is { } maximumText)
        {
            // The schema types loopMaximum as an integer; a FEEL expression there is not BPMN, so it is refused.
            if (int.TryParse(maximumText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                maximum = value;
            }
            else
            {
                Error("LOOP_MAXIMUM_INVALID", node.Id, loop, $"loopMaximum '{maximumText}' is not a whole number of passes (0 or more)");
            }
        }

        node.StandardLoop = new StandardLoopDefinition(condition, Flag(loop, "testBefore", false, node.Id), maximum);
    }

    private void ReadAdHoc(XElement e, FlowNode node)
    {
        var adHoc = Extension(e, "adHoc");
        var collection = Attr(adHoc, "activeElementsCollection");
        var completion = e.Element(XName.Get("completionCondition", BpmnNs))?.Value.Trim();
        foreach (var unread in new[] { "outputCollection", "outputElement" })
        {
            if (Attr(adHoc, unread) is not null)
            {
                Error("AD_HOC_OUTPUT_UNSUPPORTED", node.Id, adHoc!, $"zeebe:adHoc {unread} is not executed; collect results with output mappings of the inner elements");
            }
        }

        node.AdHoc = new AdHocDefinition(
            string.IsNullOrWhiteSpace(collection) ? null : Expression(collection, adHoc!, "activeElementsCollection", alwaysFeel: true),
            string.IsNullOrEmpty(completion) ? null : Expression(completion, e, "completionCondition", alwaysFeel: true),
            !string.Equals(Attr(e, "cancelRemainingInstances")?.Trim(), "false", StringComparison.OrdinalIgnoreCase));
    }

    private void ReadComplexGateway(XElement e, FlowNode node)
    {
        if (e.Element(XName.Get("activationCondition", BpmnNs)) is { } activation && activation.Value.Trim() is { Length: > 0 } text)
        {
            node.ActivationCondition = Expression(text, activation, "activationCondition", alwaysFeel: true);
        }
    }
}
