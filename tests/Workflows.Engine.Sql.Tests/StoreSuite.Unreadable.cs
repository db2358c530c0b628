using System.Text;
using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>A stored state that cannot be read is that instance's named problem, never the worker's failure nor a state run as if whole.</summary>
public abstract partial class StoreSuite
{
    private static readonly string s_timed = Process("timed", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT20S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:receiveTask id="reply" messageRef="m"/>
        {UserTask("after")}
        {Chain("start", "wait", "reply", "after")}
        """, Message("m", "timed-reply", "=key"));

    // Rewrites the stored state of an instance as an operator with write access to the database (or a bad migration) could.
    private Task TamperAsync(Guid instanceId, Func<string, string> change) => RewriteRowAsync(instanceId, record =>
    {
        var json = Encoding.UTF8.GetString(record.State);
        var changed = change(json);
        Assert.That(changed, Is.Not.EqualTo(json), "the tampering changed the state");
        return record with { State = Encoding.UTF8.GetBytes(changed) };
    });

    private async Task RewriteRowAsync(Guid instanceId, Func<InstanceRecord, InstanceRecord> change)
    {
        var store = NewStore();
        var record = (await store.GetInstanceAsync(instanceId, default))!;
        var changes = new ChangeSet();
        changes.Instances.Add(new InstanceWrite(change(record) with { RowVersion = record.RowVersion + 1 }, record.RowVersion));
        await store.CommitAsync(changes, default);
    }

    [Test]
    public async Task An_instance_whose_state_is_refused_gets_one_incident_naming_the_problem_and_every_other_timer_fires()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var poisoned = await h.StartAsync("timed", Vars(("key", "P-1")));
        var healthy = await h.StartAsync("timed", Vars(("key", "P-2")));
        await TamperAsync(poisoned.Id, json => json.Replace("\"next\":", "\"evil\":1,\"next\":", StringComparison.Ordinal));

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(5)); // the poisoned timer is met again after each lease

        var incidents = await poisoned.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }));
            Assert.That(incidents, Has.Count.EqualTo(1), "raised once, however often the timer is met");
            Assert.That(incidents[0].Message, Does.Contain(poisoned.Id.ToString()).And.Contain("'evil'"));
        }
    }

    private static IEnumerable<TestCaseData> StructuralDamage()
    {
        yield return new TestCaseData((Func<string, string>)(json => System.Text.RegularExpressions.Regex.Replace(json, "\"next\":\\d+", "\"next\":1")), "key counter")
            .SetName("{m}(a key counter below the keys in use)");
        yield return new TestCaseData((Func<string, string>)(json => System.Text.RegularExpressions.Regex.Replace(json, "\"k\":(\\d+),\"id\":\"reply\",\"p\":1", "\"k\":$1,\"id\":\"reply\",\"p\":$1")), "its own parent")
            .SetName("{m}(an element that is its own parent)");
        yield return new TestCaseData((Func<string, string>)(json => json.Replace("\"id\":\"reply\"", "\"id\":\"nosuch\"", StringComparison.Ordinal)), "'nosuch'")
            .SetName("{m}(an element the definition does not have)");
        yield return new TestCaseData((Func<string, string>)(json => System.Text.RegularExpressions.Regex.Replace(json, "\"k\":\\d+,\"id\":\"reply\"", "\"k\":1,\"id\":\"reply\"")), "key 1 twice")
            .SetName("{m}(two elements of one key, one of them the process scope)");
        yield return new TestCaseData((Func<string, string>)(json => json.Replace("\"id\":\"reply\"", "\"id\":null", StringComparison.Ordinal)), "\"id\" is null")
            .SetName("{m}(an element whose id is null)");
        yield return new TestCaseData((Func<string, string>)(json => System.Text.RegularExpressions.Regex.Replace(json, "\"vars\":\\{[^{}]*\\}", "\"vars\":null")), "\"vars\" that is null")
            .SetName("{m}(variables that are null)");
    }

    [TestCaseSource(nameof(StructuralDamage))]
    public async Task A_structurally_corrupt_state_is_refused_naming_what_is_wrong_and_nothing_is_run_on_it(Func<string, string> damage, string named)
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var key = "S-" + Guid.NewGuid(); // the fixture's store is shared: a key of its own per case
        var instance = await h.StartAsync("timed", Vars(("key", key)));
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }));
        await TamperAsync(instance.Id, damage);

        var passedOver = await h.CorrelateAsync("timed-reply", key); // a message passes over it (StoreSuite.UnreadableWork)
        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id); // answered from the rows, with why the state cannot be read
        var incidents = await instance.IncidentsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(passedOver.CorrelatedInstances, Is.Zero);
            Assert.That(incidents.Select(i => i.Message), Has.One.Contains(instance.Id.ToString()).And.One.Contains(named));
            Assert.That(inspection.StateProblem, Does.Contain(named));
            Assert.That((await NewStore().GetHistoryAsync(instance.Id, default)).Select(e => e.Kind), Has.None.EqualTo("message-correlated"));
        }
    }

    [Test]
    public async Task An_instance_whose_definition_is_gone_is_unreadable_a_message_passes_over_it_and_an_operator_inspects_and_cancels_it()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var key = "G-" + Guid.NewGuid();
        var orphan = await h.StartAsync("timed", Vars(("key", key)));
        var healthy = await h.StartAsync("timed", Vars(("key", key)));
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var gone = Guid.NewGuid();
        await RewriteRowAsync(orphan.Id, record => record with { DefinitionId = gone });

        await h.CorrelateAsync("timed-reply", key); // once refused as a whole: "process definition … does not exist"
        var inspection = await h.Engine.Inspection.InspectAsync(orphan.Id);
        var incidents = await orphan.IncidentsAsync();
        await h.Engine.Operations.CancelAsync(new CancelInstance(orphan.Id, "version lost") { Actor = "olga" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the message went on to the readable instance");
            Assert.That(incidents.Select(i => i.Message), Has.One.Contains(gone.ToString()).And.One.Contains("does not exist"));
            Assert.That(inspection.StateProblem, Does.Contain(gone.ToString()));
            Assert.That((await NewStore().GetInstanceAsync(orphan.Id, default))!.Status, Is.EqualTo(ProcessInstanceStatus.Cancelled));
        }
    }

    [Test]
    public async Task The_incident_of_an_unreadable_state_closes_when_it_is_resolved_after_a_repair()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var instance = await h.StartAsync("timed", Vars(("key", "R-1")));
        await TamperAsync(instance.Id, json => json.Replace("\"next\":", "\"evil\":1,\"next\":", StringComparison.Ordinal));
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var incident = (await instance.IncidentsAsync()).Single();
        Assert.That(async () => await h.Engine.Runtime.ResolveIncidentAsync(incident.Id), Throws.TypeOf<InstanceStateUnreadableException>(), "still unreadable");

        await TamperAsync(instance.Id, json => json.Replace("\"evil\":1,", "", StringComparison.Ordinal));
        await h.Engine.Runtime.ResolveIncidentAsync(incident.Id);
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }), "its timer fired once the state read again");
        }
    }
}
