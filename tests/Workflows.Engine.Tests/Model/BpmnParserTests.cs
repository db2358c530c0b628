using Workflows.Engine.Calendars;
using Workflows.Engine.Model;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

public sealed class BpmnParserTests
{
    [Test]
    public void An_external_entity_is_refused_before_anything_is_read()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" name="&secret;"/></definitions>
            """;

        var (document, findings) = BpmnParser.Parse(xxe);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(document, Is.Null);
            Assert.That(findings.Single().Code, Is.EqualTo("XML_DTD_PROHIBITED"));
            Assert.That(findings.Single().Message, Does.Contain("XXE"));
        }
    }

    [Test]
    public void A_billion_laughs_document_is_refused()
    {
        const string laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</definitions>
            """;

        var (document, findings) = BpmnParser.Parse(laughs);

        Assert.That(document, Is.Null);
        Assert.That(findings.Single().Code, Is.EqualTo("XML_DTD_PROHIBITED"));
    }

    [Test]
    public void Malformed_xml_is_reported_with_line_and_column()
    {
        var (document, findings) = BpmnParser.Parse("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n  <process id=\"p\">\n</definitions>");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(document, Is.Null);
            Assert.That(findings.Single().Code, Is.EqualTo("XML_MALFORMED"));
            Assert.That(findings.Single().Line, Is.EqualTo(3));
            Assert.That(findings.Single().Column, Is.GreaterThan(0));
        }
    }

    [Test]
    public void Documents_over_the_size_or_depth_limits_are_refused()
    {
        var big = Process("p", $"<bpmn:startEvent id=\"s\" name=\"{new string('x', 5000)}\"/>");
        var deep = "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">" + string.Concat(Enumerable.Repeat("<a>", 50)) + string.Concat(Enumerable.Repeat("</a>", 50)) + "</definitions>";

        var (_, sizeFindings) = BpmnParser.Parse(big, new BpmnParserOptions { MaxDocumentCharacters = 1000 });
        var (_, depthFindings) = BpmnParser.Parse(deep, new BpmnParserOptions { MaxDepth = 20 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sizeFindings.Single().Code, Is.EqualTo("XML_TOO_LARGE"));
            Assert.That(depthFindings.Single().Code, Is.EqualTo("XML_TOO_DEEP"));
        }
    }

    [Test]
    public async Task Validation_reports_every_problem_at_once_with_element_line_and_column()
    {
        var xml = Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:exclusiveGateway id="xor"/>
            {UserTask("a")}{UserTask("b")}
            <bpmn:parallelGateway id="and"/>
            {UserTask("a")}
            <bpmn:task id="island"/>
            <bpmn:intermediateCatchEvent id="nothing"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="not-deployed"/></bpmn:extensionElements></bpmn:callActivity>
            {Flow("start", "xor")}
            {Flow("xor", "a", "=amount >")}
            {Flow("xor", "b")}
            {Chain("a", "and")}{Chain("b", "and")}{Chain("and", "nothing", "call")}
            {Flow("call", "ghost")}
            """);

        var report = await new WorkflowEngine().Deployments.ValidateAsync(xml);

        var codes = report.Findings.Select(f => (f.Code, f.ElementId)).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(codes, Does.Contain(("DUPLICATE_ID", (string?)"a")));
            Assert.That(codes, Does.Contain(("FEEL_SYNTAX", (string?)"xor_a")));
            Assert.That(codes, Does.Contain(("GATEWAY_FLOW_UNCONDITIONAL", (string?)"xor")));
            Assert.That(codes, Does.Contain(("DEADLOCK", (string?)"and")));
            Assert.That(codes, Does.Contain(("UNREACHABLE", (string?)"island")));
            Assert.That(codes, Does.Contain(("EVENT_DEFINITION_MISSING", (string?)"nothing")));
            Assert.That(codes, Does.Contain(("CALLED_ELEMENT_UNKNOWN", (string?)"call")));
            Assert.That(codes, Does.Contain(("FLOW_TARGET_MISSING", (string?)"call_ghost")));
            Assert.That(report.Findings.Single(f => f.Code == "CALLED_ELEMENT_UNKNOWN").Severity, Is.EqualTo(FindingSeverity.Warning));
            Assert.That(report.Findings.Where(f => f.ElementId is not null).All(f => f.Line > 0 && f.Column > 0), Is.True, "every element finding has a position");
        }
    }

    [Test]
    public void Deploying_a_document_with_errors_is_refused_and_deploys_nothing()
    {
        var engine = new WorkflowEngine();
        var xml = Process("p", $"""<bpmn:startEvent id="s"/>{Flow("s", "missing")}""");

        var rejected = Assert.ThrowsAsync<DeploymentRejectedException>(async () => await engine.Deployments.DeployAsync(xml));

        Assert.That(rejected!.Report.Errors.Single().Code, Is.EqualTo("FLOW_TARGET_MISSING"));
        Assert.That(async () => await engine.Deployments.GetXmlAsync("p"), Throws.TypeOf<WorkflowNotFoundException>());
    }

    [Test]
    public async Task An_unchanged_document_keeps_its_version_and_a_changed_one_becomes_the_next_while_running_instances_stay_pinned()
    {
        var engine = new WorkflowEngine();
        var v1 = Process("p", $"""<bpmn:startEvent id="s"/>{UserTask("old")}{Chain("s", "old")}""");
        var v2 = Process("p", $"""<bpmn:startEvent id="s"/>{UserTask("new")}{Chain("s", "new")}""");

        var first = await engine.Deployments.DeployAsync(v1);
        var running = await engine.Runtime.StartAsync(new StartInstance("p"));
        var again = await engine.Deployments.DeployAsync(v1);
        var second = await engine.Deployments.DeployAsync(v2);
        var fresh = await engine.Runtime.StartAsync(new StartInstance("p"));
        var pinned = await engine.Runtime.StartAsync(new StartInstance("p") { Version = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Processes.Single().Version, Is.EqualTo(1));
            Assert.That(again.Processes.Single(), Has.Property(nameof(DeployedProcess.Version)).EqualTo(1).And.Property(nameof(DeployedProcess.IsNew)).False);
            Assert.That(second.Processes.Single().Version, Is.EqualTo(2));
            Assert.That((await engine.Queries.GetInstanceAsync(running)).ActiveElements.Single().ElementId, Is.EqualTo("old"));
            Assert.That((await engine.Queries.GetInstanceAsync(fresh)).ActiveElements.Single().ElementId, Is.EqualTo("new"));
            Assert.That((await engine.Queries.GetInstanceAsync(pinned)).Version, Is.EqualTo(1));
            Assert.That(await engine.Deployments.GetXmlAsync("p", 1), Is.EqualTo(v1), "the XML is kept as deployed, diagram interchange included");
        }
    }

    [Test]
    public void Zeebe_and_workflows_extension_elements_are_read_into_the_model()
    {
        var xml = Process("p", """
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="svc">
              <bpmn:extensionElements>
                <zeebe:taskDefinition type="credit-check" retries="5"/>
                <zeebe:taskHeaders><zeebe:header key="region" value="north"/></zeebe:taskHeaders>
                <wf:sla target="PT4H" warnings="50%,75%" calendar="branch"/>
                <wf:commitment level="2" department="Back office" budget="PT4H"/>
              </bpmn:extensionElements>
            </bpmn:serviceTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="svc"/>
            """, extensions: """<bpmn:extensionElements><wf:commitment level="1" name="Answer within 48 business hours" target="PT48H" calendar="branch"/></bpmn:extensionElements>""");

        var (document, findings) = BpmnParser.Parse(xml);

        var process = document!.Processes.Single();
        var svc = process.Node("svc");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings, Is.Empty);
            Assert.That(svc.Task, Is.EqualTo(new TaskDefinition(new ModelExpression("credit-check", null), 5, false)));
            Assert.That(svc.Headers["region"], Is.EqualTo("north"));
            Assert.That(svc.Sla!.Clock.Target, Is.EqualTo(new BusinessDuration.Elapsed(TimeSpan.FromHours(4))));
            Assert.That(svc.Sla!.Clock.Thresholds, Is.EqualTo(new[] { 50m, 75m, 100m }));
            Assert.That(svc.Commitment, Is.EqualTo(new CommitmentDefinition(2, null, "PT4H", "Back office", null, null) { Clock = svc.Commitment!.Clock }));
            Assert.That(svc.Commitment!.Clock!.Thresholds, Is.EqualTo(new[] { 75m, 100m }));
            Assert.That(process.Commitment!.Level, Is.EqualTo(1));
        }
    }
}
