using System.Security;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Camunda Forms (form-js JSON) embedded in a process and linked from a user task, read and checked as Camunda 8 does.</summary>
public sealed class CamundaFormTests
{
    // A form as form-js's editor saves it: every rule the server checks, a group with a path, and components that are no fields.
    private const string SurveyForm = """
        {
          "id": "survey-form", "type": "default", "schemaVersion": 16,
          "components": [
            { "type": "text", "text": "# How did we do?" },
            { "type": "number", "key": "score", "label": "Satisfaction", "validate": { "required": true, "min": 1, "max": 5 } },
            { "type": "textarea", "key": "comment", "label": "Comment", "validate": { "maxLength": 20 } },
            { "type": "textfield", "key": "postcode", "label": "Postcode", "validate": { "minLength": 4, "pattern": "^[0-9]+$" } },
            { "type": "textfield", "key": "email", "label": "Email", "validate": { "validationType": "email" } },
            { "type": "radio", "key": "channel", "label": "Channel", "values": [ { "label": "Phone", "value": "phone" }, { "label": "Shop", "value": "shop" } ] },
            { "type": "checklist", "key": "liked", "label": "What you liked", "values": [ { "label": "Speed", "value": "speed" }, { "label": "Tone", "value": "tone" } ] },
            { "type": "checkbox", "key": "contactMe", "label": "Contact me" },
            { "type": "group", "label": "Visit", "path": "visit", "components": [
              { "type": "datetime", "key": "day", "subtype": "date", "dateLabel": "Day", "validate": { "required": true } }
            ] },
            { "type": "select", "key": "office", "label": "Office", "valuesKey": "offices" },
            { "type": "button", "action": "submit", "label": "Send" }
          ]
        }
        """;

    private static string Model(string form = SurveyForm, string formKey = "camunda-forms:bpmn:userTaskForm_survey") => Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="survey" name="Survey">
          <bpmn:extensionElements><zeebe:formDefinition formKey="{formKey}"/></bpmn:extensionElements>
        </bpmn:userTask>
        {UserTask("next")}
        {Chain("s", "survey", "next")}
        """, extensions: $"""<bpmn:extensionElements><zeebe:userTaskForm id="userTaskForm_survey">{SecurityElement.Escape(form)}</zeebe:userTaskForm></bpmn:extensionElements>""");

    private static async Task<(ProcessTestHarness H, ProcessInstanceHandle Instance, UserTaskInfo Task)> StartAsync(string form = SurveyForm)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Model(form));
        var instance = await h.StartAsync("p");
        return (h, instance, (await instance.UserTasksAsync()).Single());
    }

    [Test]
    public async Task A_task_keeps_its_embedded_form_and_lists_its_input_fields()
    {
        var (_, _, task) = await StartAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(task.FormSchema?.GetProperty("id").GetString(), Is.EqualTo("survey-form"));
            Assert.That(task.Form.Select(f => f.Id), Is.EqualTo(new[] { "score", "comment", "postcode", "email", "channel", "liked", "contactMe", "visit.day", "office" }));
            Assert.That(task.Form.Select(f => f.Type), Is.EqualTo(new[] { "number", "string", "string", "string", "enum", "list", "boolean", "date", "enum" }));
            Assert.That(task.Form.Single(f => f.Id == "channel").Values, Is.EqualTo(new[] { "phone", "shop" }));
            Assert.That(task.Form.Single(f => f.Id == "score").Required, Is.True);
        }
    }

    [Test]
    public async Task Completing_checks_every_rule_of_the_form_and_names_each_field_and_rule()
    {
        var (h, instance, task) = await StartAsync();

        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("score", 7m), ("comment", new string('x', 21)), ("postcode", "75A"), ("email", "not-an-address"), ("channel", "fax"),
            ("liked", new List<object?> { "speed", "price" }), ("contactMe", "yes"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error!.FieldRules, Is.EquivalentTo(new Dictionary<string, string>
            {
                ["score"] = "max", ["comment"] = "maxLength", ["postcode"] = "minLength", ["email"] = "email", ["channel"] = "options",
                ["liked"] = "options", ["contactMe"] = "type", ["visit.day"] = "required",
            }));
            Assert.That(error.FieldErrors["score"], Is.EqualTo("Satisfaction must be from 1 to 5"));
            Assert.That(error.FieldErrors["channel"], Is.EqualTo("Channel must be one of phone, shop"));
            Assert.That(error.FieldErrors["visit.day"], Is.EqualTo("day is required"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "survey" }));
        }

        var pattern = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("score", 4m), ("postcode", "7500x"), ("visit", new Dictionary<string, object?> { ["day"] = "2026-12-04" }))));
        Assert.That(pattern!.FieldRules, Is.EqualTo(new Dictionary<string, string> { ["postcode"] = "pattern" }));

        await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("score", 4m), ("comment", "quick"), ("postcode", "75001"), ("email", "ann@example.com"), ("channel", "shop"),
            ("liked", new List<object?> { "tone" }), ("contactMe", true), ("visit", new Dictionary<string, object?> { ["day"] = "2026-12-04" }),
            ("office", "anything: its options come from a variable")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }

    [Test]
    public async Task A_form_key_naming_no_embedded_form_or_a_broken_form_is_refused_at_deploy()
    {
        var engine = new WorkflowEngine();

        var missing = await engine.Deployments.ValidateAsync(Model(formKey: "camunda-forms:bpmn:userTaskForm_other"));
        var broken = await engine.Deployments.ValidateAsync(Model(form: """{ "components": [ { "type": "number", "key": "n", "validate": { "min": 5, "max": 1 } }, { "type": "textfield", "key": "t", "validate": { "pattern": "([a-z" } } ] }"""));
        var notJson = await engine.Deployments.ValidateAsync(Model(form: "{ components: "));
        var linked = await engine.Deployments.ValidateAsync(Process("q", """
            <bpmn:startEvent id="s"/><bpmn:userTask id="t"><bpmn:extensionElements><zeebe:formDefinition formId="invoice-form"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """));
        var custom = await engine.Deployments.ValidateAsync(Process("r", """
            <bpmn:startEvent id="s"/><bpmn:userTask id="t"><bpmn:extensionElements><zeebe:formDefinition formKey="my-app:invoice"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(missing.Findings.Where(f => f.Code == "FORM_NOT_FOUND").Select(f => f.ElementId), Is.EqualTo(new[] { "survey" }));
            Assert.That(broken.Findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message),
                Has.Some.Contains("min 5 is above max 1").And.Some.Contains("'([a-z' is not a valid regular expression"));
            Assert.That(notJson.Findings.Single(f => f.Code == "FORM_INVALID").Message, Does.Contain("not valid JSON"));
            Assert.That(linked.Findings.Single(f => f.Code == "FORM_NOT_FOUND").Message, Does.Contain("'invoice-form' is linked by formId"));
            Assert.That(custom.Findings.Single(f => f.Code == "FORM_EXTERNAL").Severity, Is.EqualTo(FindingSeverity.Warning));
            Assert.That(missing.Findings.Concat(custom.Findings).Select(f => f.Code), Has.None.EqualTo("EXTENSION_NOT_EXECUTED"));
        }
    }

    [Test]
    public async Task The_engines_own_form_fields_are_read_as_a_form_with_their_bounds()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("w", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:form>
              <wf:field id="amount" label="Amount" type="number" min="0" max="100" required="true"/>
              <wf:field id="note" label="Note" minLength="3" maxLength="5" pattern="^[a-z]+$"/>
            </wf:form></bpmn:extensionElements></bpmn:userTask>
            {UserTask("next")}
            {Chain("s", "t", "next")}
            """));
        var instance = await h.StartAsync("w");
        var task = (await instance.UserTasksAsync()).Single();

        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("amount", 101m), ("note", "ab"))));
        var pattern = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("amount", -1m), ("note", "ABC"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(task.FormSchema, Is.Null, "the inbox renders the engine's own fields itself");
            Assert.That(error!.FieldErrors, Is.EquivalentTo(new Dictionary<string, string> { ["amount"] = "Amount must be from 0 to 100", ["note"] = "Note must be at least 3 characters" }));
            Assert.That(pattern!.FieldRules, Is.EquivalentTo(new Dictionary<string, string> { ["amount"] = "min", ["note"] = "pattern" }));
        }

        await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("amount", 100m), ("note", "abcd")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }
    // form-js-viewer 1.23's Validator: runNumberValidation (decimalDigits, increment) and runPresetValidation (a required
    // checkbox unchecked, lengths of the trimmed text, its EMAIL_PATTERN and PHONE_PATTERN).
    private const string RulesForm = """
        {
          "components": [
            { "type": "number", "key": "score", "label": "Score", "decimalDigits": 0 },
            { "type": "number", "key": "rate", "label": "Rate", "decimalDigits": 2 },
            { "type": "number", "key": "qty", "label": "Quantity", "increment": 5 },
            { "type": "checkbox", "key": "accept", "label": "Accept", "validate": { "required": true } },
            { "type": "textfield", "key": "code", "label": "Code", "validate": { "minLength": 5 } },
            { "type": "textfield", "key": "short", "label": "Short", "validate": { "maxLength": 3 } },
            { "type": "textfield", "key": "phone", "label": "Phone", "validate": { "validationType": "phone" } },
            { "type": "textfield", "key": "mail", "label": "Mail", "validate": { "validationType": "email" } },
            { "type": "number", "key": "limit", "label": "Limit", "disabled": true }
          ]
        }
        """;

    [TestCase("score", 4.5, "decimalDigits", "Score must be a whole number")]
    [TestCase("rate", 1.125, "decimalDigits", "Rate must have at most 2 digits after the point")]
    [TestCase("qty", 7, "increment", "Quantity must be a multiple of 5: the nearest are 5 and 10")]
    [TestCase("qty", -7, "increment", "Quantity must be a multiple of 5: the nearest are -5 and 0")]
    public async Task A_number_is_checked_for_form_js_decimal_digits_and_increment(string key, double value, string rule, string message)
    {
        var (h, instance, task) = await StartAsync(RulesForm);

        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("accept", true), (key, (decimal)value))));

        Assert.That(error!.FieldRules, Is.EqualTo(new Dictionary<string, string> { [key] = rule }));
        Assert.That(error.FieldErrors[key], Is.EqualTo(message));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "survey" }));
    }

    [Test]
    public async Task A_required_checkbox_must_be_ticked_and_lengths_and_shapes_are_form_js_s()
    {
        var (h, instance, task) = await StartAsync(RulesForm);

        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("accept", false), ("code", "  ab   "), ("phone", "+33 1 23 45 67 89"), ("mail", "é@exemple.fr"))));
        var phoneShapes = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("accept", true), ("phone", "+9 ()()()-"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error!.FieldRules, Is.EquivalentTo(new Dictionary<string, string>
            {
                ["accept"] = "required", ["code"] = "minLength", ["phone"] = "phone", ["mail"] = "email",
            }));
            Assert.That(phoneShapes!.FieldRules, Is.EqualTo(new Dictionary<string, string> { ["phone"] = "phone" }));
        }

        // What form-js takes: the text trimmed before its length, an address without a dot in its domain, digits only.
        await h.Engine.Tasks.CompleteAsync(task.Id, Vars(
            ("accept", true), ("score", 4.0m), ("rate", 1.10m), ("qty", 15m), ("code", "abcde"), ("short", "abc    "),
            ("phone", "+4930664040900"), ("mail", "ann@localhost")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }

    [Test]
    public async Task A_disabled_field_is_listed_as_such_and_a_required_engine_boolean_may_be_answered_no()
    {
        var (_, _, task) = await StartAsync(RulesForm);
        Assert.That(task.Form.Where(f => f.Disabled).Select(f => f.Id), Is.EqualTo(new[] { "limit" }), "shown from the case, never sent: the API refuses it in a completion");

        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("w", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:form><wf:field id="accepted" label="Accepted" type="boolean" required="true"/></wf:form></bpmn:extensionElements></bpmn:userTask>
            {UserTask("next")}
            {Chain("s", "t", "next")}
            """));
        var instance = await h.StartAsync("w");
        var answered = (await instance.UserTasksAsync()).Single();
        await h.Engine.Tasks.CompleteAsync(answered.Id, Vars(("accepted", false)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }

    [Test]
    public async Task A_non_positive_increment_or_fractional_decimal_digits_is_refused_at_deploy()
    {
        var result = await new WorkflowEngine().Deployments.ValidateAsync(Model(form: """
            { "components": [ { "type": "number", "key": "a", "increment": 0 }, { "type": "number", "key": "b", "decimalDigits": 1.5 } ] }
            """));

        Assert.That(result.Findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message),
            Has.Some.Contains("field 'a': increment 0 is not above 0").And.Some.Contains("field 'b': decimalDigits is not a whole number"));
    }
}
