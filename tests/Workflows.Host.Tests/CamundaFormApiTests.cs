using System.Net;
using System.Net.Http.Json;
using System.Security;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Camunda Forms over HTTP: a task's form-js JSON handed to the inbox, completions checked by the server against the
/// form's rules (422 naming each field and the rule it broke), and the customer answering the library complaint's
/// satisfaction survey in the tracker, seeing the journey's words for customers and never an internal step name.
/// </summary>
public sealed class CamundaFormApiTests
{
    private const string Form = """
        { "id": "visit-form", "type": "default", "schemaVersion": 16, "components": [
          { "id": "f1", "type": "textfield", "key": "postcode", "label": "Postcode", "validate": { "required": true, "pattern": "^[0-9]{5}$" } },
          { "id": "f2", "type": "select", "key": "slot", "label": "Slot", "values": [ { "label": "Morning", "value": "am" }, { "label": "Afternoon", "value": "pm" } ] },
          { "id": "f3", "type": "number", "key": "people", "label": "People", "validate": { "min": 1, "max": 4 } },
          { "id": "f4", "type": "group", "path": "contact", "components": [ { "id": "f5", "type": "textfield", "key": "email", "label": "Email", "validate": { "validationType": "email" } } ] },
          { "id": "f6", "type": "number", "key": "approvedLimit", "label": "Approved limit", "disabled": true }
        ] }
        """;

    private static readonly string s_model = $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="visit_definitions" targetNamespace="t">
          <bpmn:process id="visit" name="Visit" isExecutable="true">
            <bpmn:extensionElements><zeebe:userTaskForm id="UserTaskForm_book">{SecurityElement.Escape(Form)}</zeebe:userTaskForm></bpmn:extensionElements>
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="book" name="Book the visit"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/><zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_book"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="book"/>
            <bpmn:sequenceFlow id="f2" sourceRef="book" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start();
        var analyst = await _host.As("alice");
        using var response = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(s_model, System.Text.Encoding.UTF8, "application/xml"));
        Assert.That((int)response.StatusCode, Is.InRange(200, 299), await response.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    [Test]
    public async Task An_agent_gets_the_tasks_form_js_json_and_a_completion_breaking_its_rules_is_422_naming_each_field_and_rule()
    {
        var ann = await _host.As("ann");
        var instance = await ann.StartAsync("visit", new { customerId = "c-visit" });
        var task = await ann.TaskAsync(instance, "book");
        var view = await ann.GetJsonAsync($"/api/tasks/{task}/case");

        using var broken = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { postcode = "75A", slot = "night", people = 9, contact = new { email = "nobody" } } });
        using var unknown = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { postcode = "75001", discount = 50 } });
        using var empty = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { slot = "am" } });
        using var disabled = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { postcode = "75001", approvedLimit = 999999 } });
        var brokenJson = await broken.JsonAsync((HttpStatusCode)422);
        var still = await ann.GetJsonAsync($"/api/instances/{instance}");
        using var good = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { postcode = "75001", slot = "pm", people = 2, contact = new { email = "ann@example.com" } } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.GetProperty("task").GetProperty("formSchema").GetProperty("id").GetString(), Is.EqualTo("visit-form"));
            Assert.That(view.GetProperty("task").GetProperty("form").EnumerateArray().Select(f => f.GetProperty("id").GetString()), Is.EqualTo(new[] { "postcode", "slot", "people", "contact.email", "approvedLimit" }));
            Assert.That(view.GetProperty("task").GetProperty("form").EnumerateArray().Where(f => f.GetProperty("disabled").GetBoolean()).Select(f => f.GetProperty("id").GetString()), Is.EqualTo(new[] { "approvedLimit" }));
            Assert.That((await disabled.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.approvedLimit: not a field"),
                "a disabled field is shown from the case and never sent by form-js: a completion setting it is refused");
            Assert.That(brokenJson.GetProperty("rules").Deserialize<Dictionary<string, string>>(), Is.EquivalentTo(new Dictionary<string, string>
            {
                ["postcode"] = "pattern", ["slot"] = "options", ["people"] = "max", ["contact.email"] = "email",
            }));
            Assert.That(brokenJson.GetProperty("errors").GetProperty("slot").GetString(), Is.EqualTo("Slot must be one of am, pm"));
            Assert.That(brokenJson.GetProperty("errors").GetProperty("people").GetString(), Is.EqualTo("People must be from 1 to 4"));
            Assert.That((await unknown.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.discount").And.Contain("its fields: postcode, slot, people, contact"));
            Assert.That((await empty.JsonAsync((HttpStatusCode)422)).GetProperty("rules").GetProperty("postcode").GetString(), Is.EqualTo("required"));
            Assert.That(still.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "book" }), "nothing moved");
            Assert.That(good.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await good.Content.ReadAsStringAsync());
        }
    }

    [Test]
    public async Task The_customer_answers_the_complaints_satisfaction_survey_in_the_tracker_and_reads_only_the_journeys_words_for_customers()
    {
        var carla = await _host.As("carla");
        var id = (await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged twice" } }, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await ComplaintSurvey.ReachAsync(_host, id);

        using var asked = await carla.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var askedText = await asked.Content.ReadAsStringAsync();
        var repeat = askedText.Contains("Our specialists", StringComparison.Ordinal);
        var question = JsonDocument.Parse(askedText).RootElement.GetProperty("questions").EnumerateArray().Single();
        var taskId = question.GetProperty("taskId").GetString();
        using var tooHigh = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { score = 9 } });
        using var foreignField = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { score = 4, refund = 1000 } });
        using var notHers = await _host.WithToken(("sub", "zoe"), ("role", "customer"), ("customer", "cust-zoe")).PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { score = 1 } });
        using var answered = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { score = 4, comment = "quick and kind" } });
        var after = await carla.GetJsonAsync($"/api/instances/{id}");
        using var twice = await carla.PostAsJsonAsync($"/api/instances/{id}/answers/{taskId}", new { variables = new { score = 5 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(question.GetProperty("title").GetString(), Is.EqualTo("Tell us how we did"));
            Assert.That(question.GetProperty("formSchema").GetProperty("id").GetString(), Is.EqualTo("complaint-survey"));
            Assert.That(JsonDocument.Parse(askedText).RootElement.GetProperty("inProgress").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "Tell us how we did" }));
            Assert.That(JsonDocument.Parse(askedText).RootElement.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()),
                Is.EqualTo(new[] { "Complaint received", "Understanding your complaint" }.Concat(repeat ? new[] { "Our specialists look into it" } : new[] { "Putting it right" }).Append("Our answer to you")));
            Assert.That(askedText, Does.Not.Contain("Register and classify").And.Not.Contain("Satisfaction survey").And.Not.Contain("Resolve at the front desk")
                .And.Not.Contain("customer-care").And.Not.Contain("ann"), "no internal step name, queue or agent");
            Assert.That((await tooHigh.JsonAsync((HttpStatusCode)422)).GetProperty("rules").GetProperty("score").GetString(), Is.EqualTo("max"));
            Assert.That((await foreignField.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.refund"));
            Assert.That(notHers.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another customer learns nothing of the case");
            Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await answered.Content.ReadAsStringAsync());
            Assert.That(after.GetProperty("status").GetString(), Is.EqualTo("closed"));
            Assert.That(after.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Does.Contain("Tell us how we did").And.Contain("Complaint closed"));
            Assert.That(after.GetProperty("questions").GetArrayLength(), Is.Zero);
            Assert.That(twice.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }
}
