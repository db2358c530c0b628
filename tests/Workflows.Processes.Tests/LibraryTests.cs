using System.Xml.Linq;
using Workflows.Engine;
using Workflows.Engine.Runtime;
using Workflows.Processes.Systems;

namespace Workflows.Processes.Tests;

public sealed class LibraryTests
{
    private static readonly XNamespace Bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    private static readonly XNamespace Di = "http://www.omg.org/spec/DD/20100524/DI";
    private static readonly XNamespace Wf = "urn:workflows:bpmn:1.0";

    public static IEnumerable<string> Files => JourneyLibrary.All.Select(j => j.Name);

    [Test]
    public void The_library_holds_the_five_journeys()
    {
        Assert.That(Files, Is.EquivalentTo(new[] { "claims.bpmn", "complaints.bpmn", "moving-house.bpmn", "onboarding.bpmn", "returns.bpmn" }));
    }

    [TestCaseSource(nameof(Files))]
    public async Task Each_journey_validates_without_errors_or_warnings_and_its_commitments_add_up(string file)
    {
        var engine = new WorkflowEngine(new WorkflowEngineOptions().AddJourneyHandlers(JourneySystems.Demo()));
        var report = await engine.Deployments.ValidateAsync(Xml(file));

        // The external assessor is served by a bus worker (host/Features/BusExtensions.cs), which a bare engine never sees.
        var findings = report.Findings.Where(f => !(f.Code == "JOB_TYPE_UNSERVED" && f.Message.Contains($"'{JourneyHandlers.ExternalAssessorType}'", StringComparison.Ordinal)));
        Assert.That(findings, Is.Empty, report.ToString());
    }

    [TestCaseSource(nameof(Files))]
    public void Each_journey_has_a_front_and_a_back_office_pool_joined_by_message_flows_both_ways(string file)
    {
        var document = XDocument.Parse(Xml(file));
        var participants = document.Descendants(Bpmn + "participant").ToList();
        var processes = document.Descendants(Bpmn + "process").ToList();
        string PoolOf(string id) => participants.Single(p => (string?)p.Attribute("processRef") ==
            processes.Single(pr => pr.Descendants().Any(e => (string?)e.Attribute("id") == id)).Attribute("id")!.Value).Attribute("id")!.Value;
        var flows = document.Descendants(Bpmn + "messageFlow").Select(f => (From: PoolOf(f.Attribute("sourceRef")!.Value), To: PoolOf(f.Attribute("targetRef")!.Value))).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(participants.Select(p => (string?)p.Attribute("name")), Has.Exactly(1).StartsWith("Front office").And.Exactly(1).StartsWith("Back office"));
            Assert.That(flows.Distinct().Count(), Is.EqualTo(2), "a handoff to the back office and its answer back");
            Assert.That(flows.All(f => f.From != f.To), Is.True);
        }
    }

    [TestCaseSource(nameof(Files))]
    public void Each_journey_has_queued_user_tasks_step_slas_a_level_1_promise_and_a_satisfaction_milestone(string file)
    {
        var document = XDocument.Parse(Xml(file));
        var userTasks = document.Descendants(Bpmn + "userTask").ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(userTasks.All(t => t.Descendants(Wf + "userTask").Any(u => !string.IsNullOrEmpty((string?)u.Attribute("candidateGroups")))), Is.True, "every user task goes to a named queue");
            Assert.That(userTasks.Count(t => t.Descendants(Wf + "sla").Any()), Is.GreaterThanOrEqualTo(userTasks.Count - 1), "per-step SLAs");
            Assert.That(document.Descendants(Wf + "commitment").Count(c => (string?)c.Attribute("level") == "1"), Is.EqualTo(1));
            Assert.That(document.Descendants(Wf + "commitment").Count(c => (string?)c.Attribute("level") == "2"), Is.GreaterThanOrEqualTo(2));
            Assert.That(document.Descendants(Wf + "satisfaction").Count(), Is.EqualTo(1));
        }
    }

    [TestCaseSource(nameof(Files))]
    public void Each_journey_is_laid_out_every_element_and_flow_drawn_once(string file)
    {
        var document = XDocument.Parse(Xml(file));
        var drawn = document.Descendants().Where(e => e.Name.LocalName is "BPMNShape" or "BPMNEdge").Select(e => e.Attribute("bpmnElement")!.Value).ToList();
        var elements = document.Descendants(Bpmn + "process").SelectMany(p => p.Elements())
            .Where(e => e.Name != Bpmn + "extensionElements" && e.Name != Bpmn + "laneSet")
            .Concat(document.Descendants(Bpmn + "participant")).Concat(document.Descendants(Bpmn + "messageFlow")).Concat(document.Descendants(Bpmn + "lane"))
            .Select(e => e.Attribute("id")!.Value).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drawn, Is.Unique);
            Assert.That(drawn, Is.EquivalentTo(elements));
            Assert.That(document.Descendants(Di + "waypoint").Count(), Is.GreaterThan(elements.Count));
        }
    }

    [TestCaseSource(nameof(Files))]
    public async Task Every_journey_can_be_cancelled_with_its_tasks_and_clocks_closed(string file)
    {
        var journey = await Journey.StartAsync();
        var processId = XDocument.Parse(Xml(file)).Descendants(Bpmn + "participant").First(p => ((string?)p.Attribute("name"))!.StartsWith("Front office", StringComparison.Ordinal)).Attribute("processRef")!.Value;
        var instance = await journey.StartAsync(processId, "CASE-" + processId);
        Assert.That(await instance.UserTasksAsync(), Is.Not.Empty);

        await journey.H.Engine.Runtime.CancelAsync(instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
            Assert.That((await instance.ClocksAsync()).Select(c => c.State), Is.All.EqualTo(SlaState.Cancelled));
        }
    }

    private static string Xml(string file) => JourneyLibrary.All.Single(j => j.Name == file).Xml;
}
