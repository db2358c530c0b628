using System.Xml.Linq;
using Workflows.Engine.Services;

namespace Workflows.Engine.Tests.Model;

/// <summary>
/// Two versions compared over every process of their collaboration, element by element, on the journey library's
/// complaint (two pools, a handoff between them) and the MIWG collaboration models (../shared/conformance, read only).
/// </summary>
public sealed class ModelComparisonTests
{
    private static readonly XNamespace BpmnNs = "http://www.omg.org/spec/BPMN/20100524/MODEL";

    private static string Root()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workflows.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no Workflows.sln above the test directory");
    }

    private static string Complaints() => File.ReadAllText(Path.Combine(Root(), "processes", "Workflows.Processes", "Journeys", "complaints.bpmn"));

    private static string Miwg(string name)
    {
        var path = Path.GetFullPath(Path.Combine(Root(), "..", "shared", "conformance", "miwg", "reference", name + ".bpmn"));
        Assert.That(File.Exists(path), Is.True, $"the MIWG reference model {path} (../shared/conformance, read only)");
        return File.ReadAllText(path);
    }

    private static string Edit(string xml, params (string From, string To)[] edits)
    {
        foreach (var (from, to) in edits)
        {
            Assert.That(xml, Does.Contain(from), "the edit's anchor is in the model");
            xml = xml.Replace(from, to, StringComparison.Ordinal);
        }

        return xml;
    }

    private static ElementDifference Element(ModelComparison comparison, string id) =>
        comparison.Processes.SelectMany(p => p.Elements).Concat(comparison.Collaboration).Single(e => e.Id == id);

    [Test]
    public void A_version_compared_with_itself_has_no_difference_in_any_pool()
    {
        var xml = Complaints();

        var comparison = WorkflowDeployments.Compare(xml, xml);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(comparison.Same, Is.True);
            Assert.That(comparison.Processes.Select(p => (p.ProcessId, p.Participant, p.Kind)), Is.EqualTo(new[]
            {
                ("complaint", "Front office", DifferenceKind.Unchanged),
                ("complaint-investigation", "Back office: complaints team", DifferenceKind.Unchanged),
            }));
            Assert.That(comparison.Summary, Is.EqualTo(new[] { "No difference" }));
        }
    }

    [Test]
    public void Changes_in_both_pools_of_the_complaint_are_listed_per_element_with_what_changed_in_words()
    {
        var before = Complaints();
        var after = Edit(before,
            ("name=\"Register and classify\"", "name=\"Register the complaint\""),
            ("<wf:sla target=\"16 working hours\"", "<wf:sla target=\"8 working hours\""),
            ("<wf:field id=\"findings\" label=\"Findings\"", "<wf:field id=\"findings\" label=\"What we found\""),
            ("=frontDeskRoute = &quot;front desk&quot;", "=frontDeskRoute != &quot;back office&quot;"),
            ("<wf:escalate at=\"breach\" priority=\"90\" queue=\"back-office-leads\"", "<wf:escalate at=\"breach\" priority=\"95\" queue=\"back-office-leads\""),
            ("<bpmn:sequenceFlow id=\"survey_to_closed\" sourceRef=\"survey\" targetRef=\"closed\"/>",
                "<bpmn:sequenceFlow id=\"survey_to_closed\" sourceRef=\"survey\" targetRef=\"thank\"/><bpmn:serviceTask id=\"thank\" name=\"Thank the customer\"><bpmn:extensionElements><wf:taskDefinition type=\"thank-you\"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:sequenceFlow id=\"thank_to_closed\" sourceRef=\"thank\" targetRef=\"closed\"/>"));

        var comparison = WorkflowDeployments.Compare(before, after);
        var investigate = Element(comparison, "investigate");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(comparison.Processes.Select(p => p.Kind), Is.EqualTo(new[] { DifferenceKind.Changed, DifferenceKind.Changed }), "both pools");
            Assert.That(comparison.Added, Is.EqualTo(new[] { "thank", "thank_to_closed" }));
            Assert.That(comparison.Removed, Is.Empty);
            Assert.That(comparison.Changed, Is.EqualTo(new[] { "authority_to_resolve_front", "closed", "investigate", "register", "survey", "survey_to_closed" }));
            Assert.That(Element(comparison, "register").Text, Is.EqualTo("User task 'Register and classify' renamed to 'Register the complaint'"));
            Assert.That(investigate.Changes.Select(c => (c.Aspect, c.Property, c.Before, c.After)), Is.EquivalentTo(new[]
            {
                (ChangeAspect.Form, "wf:form/wf:field[findings]@label", (string?)"Findings", (string?)"What we found"),
                (ChangeAspect.Extension, "wf:sla@target", "16 working hours", "8 working hours"),
                (ChangeAspect.Extension, "wf:sla/wf:escalate[breach]@priority", "90", "95"),
            }));
            Assert.That(investigate.Changes.Select(c => c.Text), Does.Contain("SLA changed from 16 working hours to 8 working hours")
                .And.Contain("Form field 'findings' label changed from Findings to What we found")
                .And.Contain("SLA escalation 'breach' priority changed from 90 to 95"));
            Assert.That(Element(comparison, "survey").Changes.Select(c => c.Text), Is.EquivalentTo(new[] { "no longer flows to 'Complaint closed'", "now flows to 'Thank the customer'" }));
            Assert.That(Element(comparison, "survey_to_closed").Text, Does.Contain("Target changed from 'Complaint closed' to 'Thank the customer'"));
            Assert.That(Element(comparison, "authority_to_resolve_front").Changes.Single().Property, Is.EqualTo("conditionExpression"));
            Assert.That(Element(comparison, "thank").Text, Is.EqualTo("Service task 'Thank the customer' added"));
        }
    }

    [Test]
    public void A_changed_message_correlation_key_is_said_of_the_message_and_of_both_ends_of_the_handoff()
    {
        var before = Complaints();
        var after = Edit(before, ("<bpmn:message id=\"m_complaint_escalated\" name=\"ComplaintEscalated\"><bpmn:extensionElements><zeebe:subscription correlationKey=\"=caseId\"/>",
            "<bpmn:message id=\"m_complaint_escalated\" name=\"ComplaintEscalated\"><bpmn:extensionElements><zeebe:subscription correlationKey=\"=complaintId\"/>"));

        var comparison = WorkflowDeployments.Compare(before, after);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Element(comparison, "m_complaint_escalated").Changes.Single().Text, Is.EqualTo("Correlation key changed from =caseId to =complaintId"));
            Assert.That(comparison.Changed, Is.EqualTo(new[] { "escalated", "handoff", "m_complaint_escalated" }), "the sender in the front office, the receiver in the back office");
            Assert.That(Element(comparison, "escalated").Changes.Single().Property, Is.EqualTo("messageEventDefinition@messageRef"));
        }
    }

    [Test]
    public void A_form_field_or_a_parameter_added_or_removed_whole_is_one_change_and_leaves_its_siblings_unchanged()
    {
        var before = Complaints();
        var after = Edit(before,
            ("<wf:field id=\"summary\" label=\"What happened\" type=\"string\" maxLength=\"2000\"/></wf:form>",
                "<wf:field id=\"summary\" label=\"What happened\" type=\"string\" maxLength=\"2000\"/><wf:field id=\"channel\" label=\"Channel\" type=\"string\"/></wf:form>"),
            ("<wf:parameter name=\"frontDeskAuthority\" type=\"number\" min=\"0\" max=\"5000\" label=\"Amount the front desk may settle without the back office\"/>", ""));

        var comparison = WorkflowDeployments.Compare(before, after);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Element(comparison, "received").Changes.Select(c => (c.Aspect, c.Property, c.Text)), Is.EqualTo(new[]
            {
                (ChangeAspect.Form, "wf:form/wf:field[channel]", "Form field 'channel' added (id=channel, label=Channel, type=string)"),
            }));
            Assert.That(Element(comparison, "complaint").Changes.Select(c => (c.Aspect, c.Property)), Is.EqualTo(new[] { (ChangeAspect.Extension, "wf:parameter[frontDeskAuthority]") }));
            Assert.That(Element(comparison, "complaint").Text, Does.StartWith("Process 'Complaint' changed: Parameter 'frontDeskAuthority' removed (was "));
        }
    }

    [Test]
    public void A_model_only_redrawn_is_reported_as_layout_only_never_as_a_change_of_meaning()
    {
        var before = Complaints();
        var after = Edit(before, ("<bpmndi:BPMNShape id=\"investigate_di\" bpmnElement=\"investigate\"><dc:Bounds x=\"1100\" y=\"680\"",
            "<bpmndi:BPMNShape id=\"investigate_di\" bpmnElement=\"investigate\"><dc:Bounds x=\"1140\" y=\"700\""));

        var comparison = WorkflowDeployments.Compare(before, after);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(comparison.LayoutOnly, Is.True);
            Assert.That(comparison.Changed, Is.Empty);
            Assert.That(comparison.Redrawn, Is.EqualTo(new[] { "investigate" }));
            Assert.That(comparison.Processes.Select(p => p.Kind), Is.EqualTo(new[] { DifferenceKind.Unchanged, DifferenceKind.Redrawn }));
            Assert.That(Element(comparison, "investigate").Changes.Single().Aspect, Is.EqualTo(ChangeAspect.Layout));
        }
    }

    [Test]
    public void A_type_change_a_timer_a_called_element_and_multi_instance_are_each_named()
    {
        var before = Bpmn.Process("p", """
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t" name="Assess"/>
            <bpmn:callActivity id="c"><bpmn:extensionElements><zeebe:calledElement processId="old-sub"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition id="td1"><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:endEvent id="e"/>
            """ + Bpmn.Chain("s", "t", "c", "e"));
        var after = Bpmn.Process("p", """
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="t" name="Assess"><bpmn:extensionElements><zeebe:taskDefinition type="assess"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:callActivity id="c"><bpmn:extensionElements><zeebe:calledElement processId="new-sub"/></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics isSequential="true"/></bpmn:callActivity>
            <bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition id="another-generated-id"><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:endEvent id="e"/>
            """ + Bpmn.Chain("s", "t", "c", "e"));

        var comparison = WorkflowDeployments.Compare(before, after);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Element(comparison, "t").Changes.Select(c => c.Text), Is.EquivalentTo(new[] { "changed from user task to service task", "Job type set to assess" }));
            Assert.That(Element(comparison, "b").Changes.Select(c => c.Text), Is.EqualTo(new[] { "Timer duration changed from P2D to P1D" }), "an event definition's generated id is no change");
            Assert.That(Element(comparison, "c").Changes.Select(c => c.Text), Is.EquivalentTo(new[] { "Called process changed from old-sub to new-sub", "Multi-instance sequential set to true" }));
        }
    }

    [Test]
    public void A_pool_removed_from_a_MIWG_collaboration_is_a_removed_process_and_participant()
    {
        var before = Miwg("C.4.0");
        var document = XDocument.Parse(before);
        var participant = document.Descendants(BpmnNs + "participant").Single(p => (string?)p.Attribute("name") == "Facilities");
        var processId = (string)participant.Attribute("processRef")!;
        participant.Remove();
        document.Descendants(BpmnNs + "process").Single(p => (string?)p.Attribute("id") == processId).Remove();

        var comparison = WorkflowDeployments.Compare(before, document.ToString());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(comparison.Processes, Has.Count.EqualTo(4));
            Assert.That(comparison.Processes.Where(p => p.Kind != DifferenceKind.Unchanged).Select(p => (p.ProcessId, p.Participant, p.Kind)),
                Is.EqualTo(new[] { (processId, (string?)"Facilities", DifferenceKind.Removed) }));
            Assert.That(comparison.Collaboration.Single().Text, Is.EqualTo("Participant 'Facilities' removed"));
            Assert.That(comparison.Added, Is.Empty);
        }
    }

    [TestCase("A.4.0")]
    [TestCase("B.2.0")]
    [TestCase("C.1.0")]
    [TestCase("C.4.0")]
    [TestCase("C.7.0")]
    public void A_MIWG_collaboration_reformatted_with_its_elements_reordered_is_the_same(string model)
    {
        var before = Miwg(model);
        var document = XDocument.Parse(before);
        foreach (var process in document.Descendants(BpmnNs + "process").ToList())
        {
            process.ReplaceNodes(process.Nodes().OfType<XElement>().Reverse().ToList());
        }

        var comparison = WorkflowDeployments.Compare(before, document.ToString(SaveOptions.None));

        Assert.That(comparison.Same, Is.True, string.Join(Environment.NewLine, comparison.Summary));
    }

    [Test]
    public void Two_unrelated_processes_compare_as_one_removed_and_one_added()
    {
        var comparison = WorkflowDeployments.Compare(Bpmn.Process("a", Bpmn.Chain("s", "e")), Bpmn.Process("b", Bpmn.Chain("s", "e")));

        Assert.That(comparison.Processes.Select(p => (p.ProcessId, p.Kind)), Is.EqualTo(new[] { ("b", DifferenceKind.Added), ("a", DifferenceKind.Removed) }));
    }

    private static string Deep(int levels) =>
        "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><bpmn:process id=\"p\"><bpmn:subProcess id=\"s\">"
        + string.Concat(Enumerable.Repeat("<bpmn:extensionElements>", levels)) + string.Concat(Enumerable.Repeat("</bpmn:extensionElements>", levels))
        + "</bpmn:subProcess></bpmn:process></bpmn:definitions>";

    [Test]
    public void A_document_with_a_DTD_not_well_formed_too_deep_or_too_large_is_refused_without_reading_any_entity()
    {
        const string laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&c;</bpmn:definitions>""";
        const string xxe = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>""";
        var good = Bpmn.Process("p", Bpmn.Chain("s", "e"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => WorkflowDeployments.Compare(good, laughs), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("newer").And.Message.Contains("DTD"));
            Assert.That(() => WorkflowDeployments.Compare(xxe, good), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("older"));
            Assert.That(() => WorkflowDeployments.Compare(good, "<bpmn:definitions"), Throws.InstanceOf<WorkflowInputException>());
            Assert.That(() => WorkflowDeployments.Compare(good, "<html/>"), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("not BPMN"));
            Assert.That(() => WorkflowDeployments.Compare(good, Deep(100_000)), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("deeper than 256"), "never a stack overflow");
            Assert.That(() => WorkflowDeployments.Compare(good, good + new string(' ', 10_000_000)), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("limit"));
        }
    }
}
