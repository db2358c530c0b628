using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 15's acceptance for repairs, through HTTP: an instance stuck on the wrong step is repaired by an operator's
/// modification, and a batch cancels the instances a selection picks — on SQLite, and on PostgreSQL with RabbitMQ.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class RepairApiTests(Backend backend) : HostFixture(backend)
{
    private async Task<string> RegisteredAboveAuthorityAsync()
    {
        var ann = await As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "cust-1001" });
        var register = await ann.TaskAsync(id, "register");
        await ann.PostJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = 5000, summary = "typo: meant 50" } }, HttpStatusCode.NoContent);
        return id;
    }

    private static IEnumerable<string> Active(JsonElement instance) =>
        instance.GetProperty("activeElements").EnumerateArray().Select(e => e.GetProperty("elementId").GetString()!);

    [Test]
    public async Task An_instance_stuck_on_the_wrong_step_is_repaired_by_an_operators_modification_and_goes_on_to_the_end_of_its_step()
    {
        var ann = await As("ann");
        var id = await RegisteredAboveAuthorityAsync();
        var stuck = await ann.GetJsonAsync($"/api/instances/{id}");

        var result = await Operator().PostJsonAsync($"/api/instances/{id}/modification", new
        {
            reason = "amount typed as 5000 instead of 50: back to the front desk",
            variables = new[] { new { scopeKey = (long?)null, values = new { amount = 50 } } },
            terminate = new[] { new { elementId = "back_office_answer" } },
            activate = new[] { new { elementId = "resolve_front" } },
        });
        var repaired = await Host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{id}");
        var resolve = await ann.TaskAsync(id, "resolve_front");
        await ann.PostJsonAsync($"/api/tasks/{resolve}/complete", new { variables = new { resolution = "refunded", refund = 50 } }, HttpStatusCode.NoContent);
        var after = await Host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Active(stuck), Does.Contain("back_office_answer"));
            Assert.That(result.GetProperty("activated").GetArrayLength(), Is.EqualTo(1));
            Assert.That(Active(repaired), Is.EqualTo(new[] { "resolve_front" }));
            Assert.That(repaired.GetProperty("variables").GetProperty("amount").GetDecimal(), Is.EqualTo(50m));
            var modified = repaired.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("kind").GetString() == "instance-modified");
            Assert.That(modified.GetProperty("actor").GetString(), Is.EqualTo("olga"));
            Assert.That(modified.GetProperty("detail").GetString(), Does.StartWith("amount typed as 5000"));
            Assert.That(Active(after), Is.EqualTo(new[] { "respond" }), "the journey goes on from the repaired step");
        }
    }

    [Test]
    public async Task A_refused_modification_answers_one_problem_listing_every_reason_and_changes_nothing()
    {
        var id = await RegisteredAboveAuthorityAsync();
        using var response = await Operator().PostAsJsonAsync($"/api/instances/{id}/modification", new
        {
            reason = "try",
            terminate = new object[] { new { elementKey = 999999 } },
            activate = new object[] { new { elementId = "received" }, new { elementId = "no_such_step" } },
        });
        var problem = await response.JsonAsync(HttpStatusCode.BadRequest);
        var instance = await (await As("ann")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("reasons").GetArrayLength(), Is.EqualTo(3), problem.ToString());
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("no_such_step").And.Contain("999999").And.Contain("start event"));
            Assert.That(Active(instance), Does.Contain("back_office_answer"));
            Assert.That(instance.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("kind").GetString()), Has.None.EqualTo("instance-modified"));
        }
    }

    [Test]
    public async Task Modification_is_for_operators_of_the_instances_branch_with_a_reason_and_no_system_variables()
    {
        var id = await RegisteredAboveAuthorityAsync();
        var body = new { reason = "x", activate = new[] { new { elementId = "resolve_front" } } };
        async Task<HttpStatusCode> Post(HttpClient client, object content)
        {
            using var response = await client.PostAsJsonAsync($"/api/instances/{id}/modification", content);
            return response.StatusCode;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Post(await As("sofia"), body), Is.EqualTo(HttpStatusCode.Forbidden), "supervisors read, they do not modify");
            Assert.That(await Post(await As("ann"), body), Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await Post(await As("carla"), body), Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await Post(Operator("lyon-01"), body), Is.EqualTo(HttpStatusCode.NotFound), "another branch's instance is as an unknown one");
            Assert.That(await Post(Host.WithToken(("sub", "nobody"), ("role", "operator")), body), Is.EqualTo(HttpStatusCode.Unauthorized), "an operator token without a branch is never read as every branch");
            Assert.That(await Post(Operator(), new { activate = new[] { new { elementId = "resolve_front" } } }), Is.EqualTo(HttpStatusCode.BadRequest), "no reason");
            Assert.That(await Post(Operator(), new { reason = "x", variables = new[] { new { values = new { branch = "lyon-01" } } } }), Is.EqualTo(HttpStatusCode.BadRequest), "the branch is the engine's");
            Assert.That(await Post(Operator(), new { reason = "x", terminate = Enumerable.Range(0, 101).Select(i => new { elementKey = i }).ToArray() }), Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await Post(Operator(), "not an object"), Is.EqualTo(HttpStatusCode.BadRequest));
            using var unknown = await Operator().PostAsJsonAsync($"/api/instances/{Guid.NewGuid()}/modification", body);
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    [Test]
    public async Task A_batch_cancels_the_selected_instances_of_the_operators_branch_with_progress_results_and_read_access_for_supervisors()
    {
        var ann = await As("ann");
        var journey = "batch-" + Guid.NewGuid().ToString("N")[..8];
        await DeployAsync(TestJourneys.UserTask(journey));
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await ann.StartAsync(journey, new { customerId = "c" }));
        }

        var created = await Operator().PostJsonAsync("/api/batches", new { kind = "cancel", selection = new { journey }, reason = "journey withdrawn" }, HttpStatusCode.Created);
        var batchId = created.GetProperty("id").GetString();
        var batch = await Operator().CompletedBatchAsync(batchId!);

        var page = await (await As("sofia")).GetJsonAsync($"/api/batches/{batchId}/results?max=3");
        var rest = await Operator().GetJsonAsync($"/api/batches/{batchId}/results?after={page[2].GetProperty("seq").GetInt64()}");
        using var lyon = await Operator("lyon-01").GetAsync(new Uri($"/api/batches/{batchId}", UriKind.Relative));
        using var supervisorPause = await (await As("sofia")).PostAsync(new Uri($"/api/batches/{batchId}/pause", UriKind.Relative), null);
        using var otherBranch = await Operator().PostAsJsonAsync("/api/batches", new { kind = "cancel", selection = new { branch = "lyon-01" }, reason = "x" });
        var none = await Operator().PostJsonAsync("/api/batches", new { kind = "cancel", selection = new { journey = "no-such-journey" }, reason = "x" }, HttpStatusCode.Created);
        var listed = await (await As("sofia")).GetJsonAsync("/api/batches");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created.GetProperty("total").GetInt32(), Is.EqualTo(4));
            Assert.That(batch.GetProperty("state").GetString(), Is.EqualTo("completed"));
            Assert.That(batch.GetProperty("done").GetInt32(), Is.EqualTo(4));
            Assert.That(batch.GetProperty("branch").GetString(), Is.EqualTo("paris-01"), "an operator's batch is bound to its branch");
            Assert.That(page.EnumerateArray().Concat(rest.EnumerateArray()).Select(r => r.GetProperty("instanceId").GetString()), Is.EquivalentTo(ids));
            Assert.That(page.EnumerateArray().Concat(rest.EnumerateArray()).Select(r => r.GetProperty("status").GetString()), Is.All.EqualTo("done"));
            Assert.That(lyon.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another branch's batch is as an unknown one");
            Assert.That(supervisorPause.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(otherBranch.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((none.GetProperty("total").GetInt32(), none.GetProperty("state").GetString()), Is.EqualTo((0, "completed")), "a batch that selects nothing is done at once");
            Assert.That(listed.EnumerateArray().Select(b => b.GetProperty("id").GetString()), Does.Contain(batchId));
            foreach (var id in ids)
            {
                Assert.That((await ann.GetJsonAsync($"/api/instances/{id}")).GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            }
        }
    }

    private async Task<string> DeploySearchableAsync()
    {
        var journey = "batch-vars-" + Guid.NewGuid().ToString("N")[..8];
        await DeployAsync($"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="{journey}" isExecutable="true">
                <bpmn:extensionElements><wf:journey branch="=branch" customerId="=customerId"/><wf:searchable name="amount" type="number"/><wf:searchable name="region"/></bpmn:extensionElements>
                <bpmn:startEvent id="s"/><bpmn:userTask id="t"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/></bpmn:process>
            </bpmn:definitions>
            """);
        return journey;
    }

    [Test]
    public async Task A_batch_selects_its_instances_by_equality_and_ranges_on_searchable_variables_as_the_search_lists_them()
    {
        var ann = await As("ann");
        var journey = await DeploySearchableAsync();
        var byAmount = new Dictionary<int, string>();
        foreach (var (amount, region) in new[] { (10, "north"), (100, "north"), (500, "south"), (999, "north"), (1000, "north") })
        {
            byAmount[amount] = await ann.StartAsync(journey, new { customerId = "c", amount, region });
        }

        var listed = await Operator().GetJsonAsync($"/api/instances/search?journey={journey}&var.amount.gte=100&var.amount.lt=1000&var.region=north");
        var created = await Operator().PostJsonAsync("/api/batches", new
        {
            kind = "cancel",
            reason = "north's mid-sized claims withdrawn",
            selection = new
            {
                journey,
                variables = new object[]
                {
                    new { name = "amount", comparison = "gte", value = 100 },
                    new { name = "amount", comparison = "lt", value = "1000" },
                    new { name = "region", value = "north" },
                },
            },
        }, HttpStatusCode.Created);
        var batch = await Operator().CompletedBatchAsync(created.GetProperty("id").GetString()!);
        var results = await Operator().GetJsonAsync($"/api/batches/{created.GetProperty("id").GetString()}/results");
        var statuses = new Dictionary<int, string?>();
        foreach (var (amount, id) in byAmount)
        {
            statuses[amount] = (await ann.GetJsonAsync($"/api/instances/{id}")).GetProperty("status").GetString();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("id").GetString()), Is.EquivalentTo(new[] { byAmount[100], byAmount[999] }));
            Assert.That(created.GetProperty("total").GetInt32(), Is.EqualTo(2), "the batch picks what the search lists");
            Assert.That(results.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString()), Is.EquivalentTo(new[] { byAmount[100], byAmount[999] }));
            Assert.That(batch.GetProperty("done").GetInt32(), Is.EqualTo(2));
            Assert.That(statuses, Is.EquivalentTo(new Dictionary<int, string?> { [10] = "active", [100] = "cancelled", [500] = "active", [999] = "cancelled", [1000] = "active" }));
        }
    }

    [Test]
    public async Task A_batch_by_a_variable_not_declared_searchable_a_value_not_of_its_type_or_an_unknown_comparison_is_refused_naming_it()
    {
        var journey = await DeploySearchableAsync();
        async Task<JsonElement> Refused(object variable)
        {
            using var response = await Operator().PostAsJsonAsync("/api/batches", new { kind = "cancel", reason = "x", selection = new { journey, variables = new[] { variable } } });
            return await response.JsonAsync(HttpStatusCode.BadRequest);
        }

        var undeclared = await Refused(new { name = "customerId", value = "c" });
        var wrongType = await Refused(new { name = "amount", comparison = "gt", value = "lots" });
        var comparison = await Refused(new { name = "amount", comparison = "like", value = 1 });
        var notAValue = await Refused(new { name = "amount", value = new { a = 1 } });
        using var eleven = await Operator().PostAsJsonAsync("/api/batches", new
        {
            kind = "cancel", reason = "x", selection = new { journey, variables = Enumerable.Range(0, 11).Select(i => new { name = "amount", comparison = "gte", value = i }).ToArray() },
        });
        var batches = await Operator().GetJsonAsync("/api/batches?max=200");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(undeclared.GetProperty("detail").GetString(), Does.Contain("customerId").And.Contain("not declared searchable"));
            Assert.That(wrongType.GetProperty("detail").GetString(), Does.Contain("amount").And.Contain("lots"));
            Assert.That(comparison.GetProperty("detail").GetString(), Does.Contain("like").And.Contain("gte"));
            Assert.That(notAValue.GetProperty("detail").GetString(), Does.Contain("amount"));
            Assert.That(eleven.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "at most 10 variable filters");
            Assert.That(batches.EnumerateArray().Select(b => b.GetProperty("reason").GetString()), Has.None.EqualTo("x"), "nothing refused was created");
        }
    }

    [Test]
    public async Task An_operator_cancels_an_instance_with_a_reason_in_its_history_and_nobody_else_may()
    {
        var ann = await As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "cust-1001" });
        async Task<HttpStatusCode> Cancel(HttpClient client, object body)
        {
            using var response = await client.PostAsJsonAsync($"/api/instances/{id}/cancellation", body);
            return response.StatusCode;
        }

        var refusals = new[]
        {
            await Cancel(await As("sofia"), new { reason = "x" }), await Cancel(ann, new { reason = "x" }), await Cancel(await As("carla"), new { reason = "x" }),
        };
        var otherBranch = await Cancel(Operator("lyon-01"), new { reason = "x" });
        var noReason = await Cancel(Operator(), new { reason = " " });
        var cancelled = await Cancel(Operator(), new { reason = "customer withdrew by phone" });
        var again = await Cancel(Operator(), new { reason = "twice" });
        using var unknown = await Operator().PostAsJsonAsync($"/api/instances/{Guid.NewGuid()}/cancellation", new { reason = "x" });
        var instance = await (await As("sofia")).GetJsonAsync($"/api/instances/{id}");
        var history = instance.GetProperty("history").EnumerateArray().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusals, Is.All.EqualTo(HttpStatusCode.Forbidden), "supervisors, agents and customers");
            Assert.That(otherBranch, Is.EqualTo(HttpStatusCode.NotFound), "another branch's instance is as an unknown one");
            Assert.That(noReason, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(cancelled, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(instance.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            var why = history.Single(h => h.GetProperty("kind").GetString() == "instance-modified");
            Assert.That(why.GetProperty("actor").GetString(), Is.EqualTo("olga"));
            Assert.That(why.GetProperty("detail").GetString(), Does.StartWith("customer withdrew by phone"));
            Assert.That(history.Select(h => h.GetProperty("kind").GetString()), Does.Contain("instance-cancelled"));
        }
    }
}
