using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Search;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Search by variable values (wf:searchable, the variable index written in the instance's commit) and inspection.
public abstract partial class StoreSuite
{
    // Each test its own process: the fixture's store is shared by its tests.
    private protected static string Searchable(string id) => Process(id, $"""
        <bpmn:startEvent id="start"/>
        {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="agents"/></bpmn:extensionElements>""")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "handle", "end")}
        """, extensions: """
        <bpmn:extensionElements>
          <wf:searchable name="amount" type="number"/>
          <wf:searchable name="customer"/>
          <wf:searchable name="received" type="date"/>
        </bpmn:extensionElements>
        """);

    [Test]
    public async Task Instances_are_found_by_equality_and_ranges_on_numbers_text_and_dates_they_were_started_and_changed_with()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Searchable("search-ranges"));
        var small = await h.StartAsync("search-ranges", Vars(("amount", 50), ("customer", "c-1"), ("received", "2026-11-02")));
        var large = await h.StartAsync("search-ranges", Vars(("amount", 1500.5m), ("customer", "c-2"), ("received", "2026-12-01")));
        var none = await h.StartAsync("search-ranges", Vars(("customer", "c-1"), ("received", "not a date")));

        async Task<Guid[]> Find(params VariableFilter[] filters) =>
            (await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-ranges", Variables = filters })).Instances.Select(i => i.Id).Order().ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Find(new VariableFilter("amount", VariableComparison.GreaterOrEqual, "100")), Is.EqualTo(new[] { large.Id }));
            Assert.That(await Find(new VariableFilter("amount", VariableComparison.Equal, 50)), Is.EqualTo(new[] { small.Id }));
            Assert.That(await Find(new VariableFilter("customer", VariableComparison.Equal, "c-1")), Is.EqualTo(new[] { small.Id, none.Id }.Order().ToArray()));
            Assert.That(await Find(new VariableFilter("received", VariableComparison.LessThan, "2026-11-15")), Is.EqualTo(new[] { small.Id }));
            Assert.That(await Find(new VariableFilter("received", VariableComparison.GreaterThan, "2026-11-15T00:00:00Z"), new VariableFilter("amount", VariableComparison.LessOrEqual, 2000)),
                Is.EqualTo(new[] { large.Id }));
        }

        // A value changed by a later command is what the index then holds; an unset one is no longer found.
        await h.Engine.Runtime.SetVariablesAsync(small.Id, Vars(("amount", 5000), ("customer", null)));
        var rows = await NewStore().GetIndexedVariablesAsync(small.Id, CancellationToken.None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Find(new VariableFilter("amount", VariableComparison.GreaterThan, 1000)), Is.EqualTo(new[] { small.Id, large.Id }.Order().ToArray()));
            Assert.That(await Find(new VariableFilter("customer", VariableComparison.Equal, "c-1")), Is.EqualTo(new[] { none.Id }));
            Assert.That(rows.Select(r => r.Name), Is.EqualTo(new[] { "amount", "received" }));
            Assert.That(rows[0].Value, Is.EqualTo(new IndexedValue(null, 5000d, null)));
        }
    }

    [Test]
    public async Task A_search_on_a_variable_the_journey_does_not_declare_or_with_a_value_not_of_its_type_is_refused()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Searchable("search-refused"));

        var undeclared = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Inspection.SearchInstancesAsync(
            new InstanceQuery { ProcessId = "search-refused", Variables = [new VariableFilter("secret", VariableComparison.Equal, "x")] }));
        var mistyped = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Inspection.SearchInstancesAsync(
            new InstanceQuery { ProcessId = "search-refused", Variables = [new VariableFilter("amount", VariableComparison.Equal, "lots")] }));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(undeclared!.Message, Does.Contain("'secret' is not declared searchable").And.Contain("amount, customer, received"));
            Assert.That(mistyped!.Message, Does.Contain("'lots' is not a number"));
        }
    }

    [Test]
    public async Task Instance_pages_follow_one_another_by_cursor_in_a_stable_order_and_filter_by_version_state_and_incident()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Searchable("search-pages"));
        var started = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            started.Add((await h.StartAsync("search-pages", Vars(("amount", i)))).Id);
            if (i % 3 == 0)
            {
                await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1)); // some share a start time: the id breaks the tie
            }
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", Max = 3, Cursor = cursor });
            seen.AddRange(page.Instances.Select(i => i.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        var all = await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", Max = 100 });
        await h.Engine.Runtime.CancelAsync(started[0]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages, Is.EqualTo(3));
            Assert.That(seen, Is.EqualTo(all.Instances.Select(i => i.Id)));
            Assert.That(seen, Is.EquivalentTo(started));
            Assert.That((await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", Status = ProcessInstanceStatus.Cancelled })).Instances.Select(i => i.Id),
                Is.EqualTo(new[] { started[0] }));
            Assert.That((await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", Version = 2 })).Instances, Is.Empty);
            Assert.That((await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", HasIncident = true })).Instances, Is.Empty);
            Assert.That((await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "search-pages", HasIncident = false })).Instances, Has.Count.EqualTo(7));
            Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { Cursor = "bm90IGEgY3Vyc29y" }));
        }
    }

    [Test]
    public async Task Tasks_are_found_by_the_searchable_variables_of_their_instance()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Searchable("search-tasks"));
        var small = await h.StartAsync("search-tasks", Vars(("amount", 50)));
        var large = await h.StartAsync("search-tasks", Vars(("amount", 1500)));

        var page = await h.Engine.Tasks.QueryAsync(new TaskQuery { PageSize = 500, Variables = [new VariableFilter("amount", VariableComparison.GreaterThan, "1000")] });
        var queued = await h.Engine.Tasks.QueryAsync(new TaskQuery { PageSize = 500, Queues = ["agents"], Variables = [new VariableFilter("amount", VariableComparison.LessThan, 100)] });
        using (Assert.EnterMultipleScope())
        {
            // Other tests of the fixture share the store: only this test's instances are looked at.
            Assert.That(page.Tasks.Select(t => t.InstanceId).Intersect([small.Id, large.Id]), Is.EqualTo(new[] { large.Id }));
            Assert.That(queued.Tasks.Select(t => t.InstanceId).Intersect([small.Id, large.Id]), Is.EqualTo(new[] { small.Id }));
        }
    }

    [Test]
    public async Task An_inspection_shows_every_wait_point_with_its_kind_and_due_time_and_the_variables_by_scope()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_journey);
        var instance = await h.StartAsync("journey", Vars(("caseId", "IN-1"), ("amount", 10)), businessKey: "IN-1");

        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        var kinds = inspection.WaitPoints.Select(w => (w.Kind, w.ElementId)).Order().ToList();
        var timer = inspection.WaitPoints.Single(w => w.Kind == "timer");
        var message = inspection.WaitPoints.Single(w => w.Kind == "message");
        var job = inspection.WaitPoints.Single(w => w.Kind == "job");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(kinds, Is.EqualTo(new[] { ("job", "check"), ("message", "reply"), ("signal", "outage"), ("timer", "wait"), ("user-task", "register") }));
            Assert.That(timer.DueAt, Is.EqualTo(h.Clock.GetUtcNow().AddHours(2)));
            Assert.That((message.Name, message.CorrelationKey), Is.EqualTo(("customer-reply", "IN-1")));
            Assert.That((job.Name, job.Retries), Is.EqualTo(("credit-check", 3)));
            Assert.That(inspection.Scope.Variables["caseId"], Is.EqualTo("IN-1"));
            Assert.That(inspection.Scope.Children.Select(c => c.ElementId).Order(), Is.EqualTo(new[] { "check", "outage", "register", "reply", "wait" }));
            Assert.That(inspection.ActiveTokens["register"], Is.EqualTo(1));
            Assert.That(inspection.History[0].Kind, Is.EqualTo("instance-started"));
        }
    }
}
