using System.Net;
using System.Net.Http.Json;
using System.Security;

namespace Workflows.Host.Tests;

/// <summary>
/// Review17 F1 and F2 over HTTP: a group's path carries only the form's fields into the case, from an agent's completion
/// and from a customer's answer alike; a form keyed by a variable the engine sets alone is a finding at validate; the
/// pages learn which variables they never send back.
/// </summary>
public sealed class CamundaFormGuardApiTests
{
    private const string Form = """
        { "id": "guarded-visit", "components": [
          { "id": "a", "type": "number", "key": "amount", "label": "Amount" },
          { "id": "g", "type": "group", "path": "visit", "components": [ { "id": "d", "type": "textfield", "key": "day", "label": "Day", "validate": { "required": true } } ] }
        ] }
        """;

    private static string Model(string id, string form) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="{id}_definitions" targetNamespace="t">
          <bpmn:process id="{id}" name="Guarded visit" isExecutable="true">
            <bpmn:extensionElements><zeebe:userTaskForm id="visit_form">{SecurityElement.Escape(form)}</zeebe:userTaskForm></bpmn:extensionElements>
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="t" name="Plan the visit"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/><zeebe:formDefinition formKey="camunda-forms:bpmn:visit_form"/><wf:customerStep label="Your visit" customerAnswers="true"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start();
        using var response = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), Xml(Model("guarded_visit", Form)));
        Assert.That((int)response.StatusCode, Is.InRange(200, 299), await response.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static StringContent Xml(string xml) => new(xml, System.Text.Encoding.UTF8, "application/xml");

    [Test]
    public async Task An_agents_completion_setting_a_key_under_a_groups_path_that_the_form_never_asked_for_is_400_naming_it()
    {
        var ann = await _host.As("ann");
        var instance = await ann.StartAsync("guarded_visit", new { customerId = "c-guard" });
        var task = await ann.TaskAsync(instance, "t");
        var view = await ann.GetJsonAsync($"/api/tasks/{task}/case");

        using var extra = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { amount = 5, visit = new { day = "mon", evil = 1 } } });
        using var notAnObject = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { amount = 5, visit = new[] { "mon" } } });
        var still = await ann.GetJsonAsync($"/api/instances/{instance}");
        using var good = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { amount = 5, visit = new { day = "mon" } } });
        var inspection = await (await _host.As("otto")).GetJsonAsync($"/api/instances/{instance}/inspection");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await extra.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(),
                Does.Contain("variables.visit.evil: not a field of the form of task 'Plan the visit' (its fields under visit: day)"));
            Assert.That((await notAnObject.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(),
                Does.Contain("variables.visit: an object of the form's fields under it (day) is expected, not array"));
            Assert.That(still.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "t" }), "nothing moved");
            Assert.That(good.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await good.Content.ReadAsStringAsync());
            Assert.That(inspection.ToString(), Does.Not.Contain("evil"));
            Assert.That(view.GetProperty("engineOwned").GetArrayLength(), Is.Zero, "a form of its own fields only: nothing to hold back");
        }
    }

    [Test]
    public async Task A_customers_answer_setting_keys_under_a_groups_path_that_the_form_never_asked_for_is_400_naming_them()
    {
        var carla = await _host.As("carla");
        var id = (await carla.PostJsonAsync("/api/instances", new { journey = "guarded_visit", branch = "paris-01" }, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var question = (await carla.GetJsonAsync($"/api/instances/{id}")).GetProperty("questions").EnumerateArray().Single();
        var taskId = question.GetProperty("taskId").GetString();

        using var extra = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}",
            new { variables = new { amount = 7, visit = new { day = "tue", approved = true, refund = new { amount = 99999 } } } });
        using var answered = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { amount = 7, visit = new { day = "tue" } } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await extra.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(),
                Does.StartWith("variables.visit.approved, variables.visit.refund: not a field of the form"));
            Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await answered.Content.ReadAsStringAsync());
            Assert.That(question.GetProperty("engineOwned").GetArrayLength(), Is.Zero);
        }
    }

    [Test]
    public async Task A_form_field_keyed_by_a_variable_the_engine_sets_alone_or_as_form_js_refuses_is_a_finding_at_validate()
    {
        var form = """{ "components": [ { "type": "textfield", "key": "branch" }, { "type": "textfield", "key": "caseId" }, { "type": "textfield", "key": "__proto__" }, { "type": "textfield", "key": "customerId" } ] }""";
        using var validated = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions/validate", UriKind.Relative), Xml(Model("guarded_keys", form)));
        using var deployed = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), Xml(Model("guarded_keys", form)));
        var report = await validated.JsonAsync(HttpStatusCode.OK);
        var findings = report.GetProperty("findings").EnumerateArray().Select(f => (Code: f.GetProperty("code").GetString(), Message: f.GetProperty("message").GetString()!)).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.GetProperty("valid").GetBoolean(), Is.False);
            Assert.That(findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message), Has.Some.Contains("field '__proto__': the key has a prohibited segment"));
            Assert.That(deployed.IsSuccessStatusCode, Is.False, "refused, not deployed");
        }

        // Without the key form-js refuses, the form is read whole and its engine-owned fields are named.
        var readable = form.Replace("""{ "type": "textfield", "key": "__proto__" }, """, "", StringComparison.Ordinal);
        using var again = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions/validate", UriKind.Relative), Xml(Model("guarded_keys", readable)));
        var messages = (await again.JsonAsync(HttpStatusCode.OK)).GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("code").GetString() == "FORM_FIELD_INVALID").Select(f => f.GetProperty("message").GetString()).ToList();
        Assert.That(messages, Has.Count.EqualTo(2).And.Some.StartsWith("form field 'branch' sets the variable 'branch'").And.Some.StartsWith("form field 'caseId' sets the variable 'caseId'"));
    }
}
