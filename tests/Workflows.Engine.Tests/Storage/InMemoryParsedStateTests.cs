using Microsoft.Extensions.Logging.Abstractions;
using Workflows.Engine.Feel;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Storage;

/// <summary>The in-memory store hands the next command the state a commit left, parsed, once, and only for the bytes it holds.</summary>
public sealed class InMemoryParsedStateTests
{
    private static readonly string s_twoSteps = Process("kept", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("first")}
        {UserTask("second")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "first", "second", "end")}
        """);

    private static async Task<(InMemoryWorkflowStore Store, WorkflowEngine Engine, Guid InstanceId)> StartedAsync()
    {
        var store = new InMemoryWorkflowStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(s_twoSteps);
        var id = await engine.Runtime.StartAsync(new StartInstance("kept") { Variables = Vars(("amount", 1500)) });
        return (store, engine, id);
    }

    private static async Task<InstanceRecord> RowAsync(InMemoryWorkflowStore store, Guid id) => (await store.GetInstanceAsync(id, default))!;

    [Test]
    public async Task The_state_a_commit_left_is_taken_once_as_committed()
    {
        var (store, _, id) = await StartedAsync();
        var row = await RowAsync(store, id);

        var taken = store.ParsedStates.Take(row);
        var again = store.ParsedStates.Take(row);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(taken, Is.Not.Null);
            Assert.That(taken!.Id, Is.EqualTo(id));
            Assert.That(taken.RowVersion, Is.EqualTo(row.RowVersion));
            Assert.That(InstanceStateSerializer.Serialize(taken), Is.EqualTo(row.State), "the state the row's bytes were written from");
            Assert.That(again, Is.Null, "no two commands share a state");
        }
    }

    [Test]
    public async Task A_command_after_a_taken_state_parses_the_row_and_keeps_its_own_state_for_the_next()
    {
        var (store, engine, id) = await StartedAsync();
        Assert.That(store.ParsedStates.Take(await RowAsync(store, id)), Is.Not.Null); // as a command that failed after taking it

        await engine.Tasks.CompleteAsync((await engine.Tasks.GetOpenAsync(id)).Single().Id);
        var row = await RowAsync(store, id);
        var copy = row with { State = [.. row.State] };

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await engine.Tasks.GetOpenAsync(id)).Single().ElementId, Is.EqualTo("second"));
            Assert.That(store.ParsedStates.Take(copy), Is.Null, "the same bytes in another array are not the row's");
            Assert.That(store.ParsedStates.Take(row)?.Elements.Values.Select(e => e.ElementId), Is.EqualTo(new[] { "kept", "second" }));
        }
    }

    [Test]
    public async Task An_ended_instance_keeps_no_parsed_state()
    {
        var (store, engine, id) = await StartedAsync();
        for (var open = await engine.Tasks.GetOpenAsync(id); open.Count > 0; open = await engine.Tasks.GetOpenAsync(id))
        {
            await engine.Tasks.CompleteAsync(open[0].Id);
        }

        Assert.That(store.ParsedStates.Take(await RowAsync(store, id)), Is.Null);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_state_holding_a_value_its_JSON_keeps_as_text_is_parsed_again(bool holdsADate)
    {
        var variables = new FeelContext();
        variables["due"] = holdsADate ? new DateOnly(2026, 12, 6) : 6m;

        var (state, taken) = KeptThenTaken(variables);

        Assert.That(taken, holdsADate ? Is.Null : Is.SameAs(state), "a date is written as its text and read back as a string");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_state_holding_one_list_in_two_places_is_parsed_again(bool shared)
    {
        // As a mapping `=votes` holds the very list a multi-instance body fills in place: parsed, they are two lists.
        var votes = new List<object?> { 1m };
        var variables = new FeelContext();
        variables["votes"] = votes;
        variables["seen"] = shared ? votes : new List<object?> { 1m };

        var (state, taken) = KeptThenTaken(variables);

        Assert.That(taken, shared ? Is.Null : Is.SameAs(state), "one list in two places would stay one list in the next command");
    }

    // An active instance's state of these variables, kept as committed, then taken for the row its bytes were written to.
    private static (InstanceState State, InstanceState? Taken) KeptThenTaken(FeelContext variables)
    {
        var state = new InstanceState { Id = Guid.NewGuid(), ProcessId = "kept", DefinitionId = Guid.NewGuid(), Version = 1, Status = ProcessInstanceStatus.Active, NextKey = 2, Variables = variables };
        state.Elements[InstanceState.RootKey] = new ElementInstance { Key = InstanceState.RootKey, ElementId = "kept", Variables = variables };
        var bytes = InstanceStateSerializer.Serialize(state);
        var row = new InstanceRecord(state.Id, "kept", state.DefinitionId, 1, null, ProcessInstanceStatus.Active, 1, default, null, null, bytes);
        var parsed = new InMemoryParsedStates();
        parsed.Keep(bytes, state);
        return (state, parsed.Take(row));
    }
}
