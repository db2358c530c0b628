using System.Net;
using System.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// Forms a task kept from before the server refused them (review17 F1, F5), in Debian's Chromium: a form with fields
/// keyed by variables the engine sets alone and active markup in its text and html components is completed from the
/// inbox, and nothing of the markup runs or is even attempted (no console error); a form form-js cannot import leaves
/// the customer's case view working. The kept form is written into the task's row, as a task opened before the
/// deploy-time checks keeps it. Any error in a page's console fails the test.
/// </summary>
[NonParallelizable]
public sealed class FormsGuardBrowserTests : BrowserFixture
{
    private const string Plain = """{ "id": "kept", "components": [ { "id": "w", "type": "text", "text": "Welcome" }, { "id": "a", "type": "number", "key": "amount", "label": "Amount", "validate": { "required": true } } ] }""";

    private protected override IReadOnlyList<string> Warm { get; } = ["/lib/designer/forms-viewer.js", "/app/inbox.js", "/app/tracker.js"];

    private static string Model(string id) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="{id}_definitions" targetNamespace="t">
          <bpmn:process id="{id}" name="Kept form" isExecutable="true">
            <bpmn:extensionElements><zeebe:userTaskForm id="kept_form">{SecurityElement.Escape(Plain)}</zeebe:userTaskForm></bpmn:extensionElements>
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="t" name="Check the amount"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/><zeebe:formDefinition formKey="camunda-forms:bpmn:kept_form"/><wf:customerStep label="Your amount" customerAnswers="true"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    /// <summary>The form the task's row keeps, replaced as a task opened before the deploy-time checks would hold it.</summary>
    private async Task KeepAsync(string taskId, string formJson)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Host.Directory, "host.db")}");
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE wf_user_tasks SET form_json = $form WHERE lower(id) = lower($id)";
        update.Parameters.AddWithValue("$id", taskId);
        update.Parameters.AddWithValue("$form", formJson);
        Assert.That(await update.ExecuteNonQueryAsync(), Is.EqualTo(1), $"task {taskId}'s form was replaced");
    }

    [Test]
    public async Task An_agent_completes_a_kept_form_with_engine_owned_fields_and_active_markup_and_nothing_of_the_markup_runs()
    {
        await DeployAsync(Model("kept_inbox"));
        var ann = await As("ann");
        var instance = await ann.StartAsync("kept_inbox", new { customerId = "c-kept" });
        var task = await ann.TaskAsync(instance, "t");
        await KeepAsync(task, """
            { "id": "kept", "type": "default", "components": [
              { "id": "h", "type": "html", "content": "<p>Read this</p><img src=x onerror=alert(3)><script>alert(4)</script><a href='javascript:alert(5)'>x</a>" },
              { "id": "w", "type": "text", "text": "Hello <img src=x onerror=alert(6)> [l](javascript:alert(7))" },
              { "id": "b", "type": "textfield", "key": "branch", "label": "Branch" },
              { "id": "c", "type": "textfield", "key": "caseId", "label": "Case" },
              { "id": "a", "type": "number", "key": "amount", "label": "Amount", "validate": { "required": true } }
            ] }
            """);

        var view = await ann.GetJsonAsync($"/api/tasks/{task}/case");
        var page = await OpenAsync("ann", "/inbox");
        await page.ClickAsync($"[data-task=\"{task}\"]");
        var form = page.Locator("[data-test=task-form]");
        await Assertions.Expect(form.GetByLabel("Branch")).ToHaveValueAsync("paris-01");
        await Assertions.Expect(form).ToContainTextAsync("Read this");
        var active = await page.EvaluateAsync<int>("() => document.querySelectorAll('[data-test=task-form] [onerror], [data-test=task-form] script, [data-test=task-form] img, [data-test=task-form] a[href^=javascript]').length");
        await form.GetByLabel("Amount").FillAsync("5");
        await page.ClickAsync("[data-test=task] [data-test=complete]");
        await ExpectTextAsync(page, "[data-test=next-thing]", "Nothing else");

        var done = await (await As("sofia")).GetJsonAsync($"/api/instances/{instance}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(active, Is.Zero, "no handler, script, image or script address reached the page");
            Assert.That(view.GetProperty("engineOwned").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { "branch", "caseId" }), "the form's fields the inbox never sends back");
            Assert.That(done.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(done.GetProperty("variables").GetProperty("amount").GetDecimal(), Is.EqualTo(5m));
            Assert.That(done.GetProperty("variables").GetProperty("branch").GetString(), Is.EqualTo("paris-01"), "the engine's own value, untouched");
        }
    }

    [Test]
    public async Task A_kept_form_form_js_cannot_import_leaves_the_customers_case_view_working()
    {
        await DeployAsync(Model("kept_tracker"));
        var raised = await (await As("carla")).PostJsonAsync("/api/instances", new { journey = "kept_tracker", branch = "paris-01" }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        var task = await (await As("ann")).TaskAsync(id, "t");
        await KeepAsync(task, """{ "type": "default", "components": [ { "type": "textfield", "key": "__proto__", "label": "Proto" }, { "type": "number", "key": "amount", "label": "Amount" } ] }""");

        var page = await OpenAsync("carla", "/tracker", width: 390, height: 844);
        await page.ClickAsync($"[data-test=cases] tr[data-case=\"{raised.GetProperty("businessKey").GetString()}\"]");
        await ExpectTextAsync(page, "[data-test=in-progress]", "Your amount");
        await ExpectTextAsync(page, "[data-test=question]", "We will ask you about this by phone or e-mail.");

        Assert.That(await page.Locator("[data-test=question-send]").IsHiddenAsync(), Is.True, "nothing to send from a form that cannot be shown");
    }
}
