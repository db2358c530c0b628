using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A business rule task's read of its decision's version: the model is kept per version, so the version's XML is read
/// to parse it once, not at every evaluation (the agents' loop completes through one at every complaint).
/// </summary>
public abstract partial class SqlStoreSuite
{
    private static readonly string s_xmlReadLevels = TestDecisions.Levels("xml-read-level");

    // latest: no version approved, so the latest version is evaluated; else version 1 approved, the standard, read by version.
    [TestCase(false)]
    [TestCase(true)]
    public async Task A_business_rule_task_reads_its_decision_s_xml_once_to_parse_it_not_at_every_evaluation(bool latest)
    {
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        var process = latest ? "xml-latest" : "xml-standard";
        await engine.Deployments.DeployAsync([s_xmlReadLevels, Process(process, """
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="register" name="Register"><bpmn:extensionElements><wf:userTask candidateGroups="xml-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="xml-read-level" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
            <bpmn:userTask id="resolve" name="Resolve"><bpmn:extensionElements><wf:userTask candidateGroups="xml-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="e"/>
            """ + Chain("s", "register", "decide", "resolve", "e"))]);
        if (!latest)
        {
            await engine.Decisions.ApproveAsync("xml-read-level", 1, "alice", "reviewed");
        }

        var reads = new List<int>();
        var levels = new List<object?>();
        foreach (var amount in new[] { 500, 1500, 700 })
        {
            var instance = await engine.Runtime.StartAsync(new StartInstance(process) { Variables = Vars(("amount", amount)) });
            var register = (await engine.Tasks.GetOpenAsync(instance)).Single();
            var before = store.DecisionXmlReads;
            await engine.Tasks.CompleteAsync(register.Id, actor: "ann");
            reads.Add(store.DecisionXmlReads - before);
            levels.Add((await engine.Queries.GetInstanceAsync(instance)).Variables["level"]);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(levels, Is.EqualTo(new object?[] { "agent", "manager", "agent" }), "each evaluation by the version's model");
            Assert.That(reads[0], Is.AtMost(1), "the first evaluation reads the XML to parse the model, if no one has parsed it yet");
            Assert.That(reads.Skip(1), Is.All.EqualTo(0), "then the model kept: the version is read without its XML");
        }
    }
}
