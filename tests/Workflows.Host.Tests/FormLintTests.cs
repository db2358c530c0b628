using System.Security;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's live check of forms (host/web/lint/rules/forms.js, review17 F1 and F5), run by Node.js as the browser
/// runs it: a field keyed by a variable the engine sets alone, a key form-js refuses and active markup are reported by
/// the server's codes while editing; a form without them is not.
/// </summary>
public sealed class FormLintTests
{
    private static async Task<(int Code, string Output)> LintAsync(string form, string wfFields = "")
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"form-lint-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, $"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="linted" isExecutable="true">
                <bpmn:extensionElements><zeebe:userTaskForm id="f">{SecurityElement.Escape(form)}</zeebe:userTaskForm></bpmn:extensionElements>
                <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
                <bpmn:userTask id="ask"><bpmn:extensionElements><zeebe:formDefinition formKey="camunda-forms:bpmn:f"/></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
                <bpmn:userTask id="own"><bpmn:extensionElements><wf:form>{wfFields}<wf:field id="amount" type="number"/></wf:form></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
                <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
                <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="own" />
                <bpmn:sequenceFlow id="f3" sourceRef="own" targetRef="end" />
              </bpmn:process>
            </bpmn:definitions>
            """);
        try
        {
            return await WebScripts.RunAsync("lint/check-files.cjs", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Engine_owned_keys_keys_form_js_refuses_and_active_markup_are_live_findings_by_the_servers_codes()
    {
        var (code, output) = await LintAsync("""
            { "components": [
              { "type": "textfield", "key": "branch" },
              { "type": "group", "path": "caseId", "components": [ { "type": "textfield", "key": "part" } ] },
              { "type": "textfield", "key": "calendar", "disabled": true },
              { "type": "textfield", "key": "__proto__" },
              { "type": "html", "id": "h", "content": "<img src=x onerror=alert(3)>" },
              { "type": "text", "text": "[x](javascript:alert(1))" }
            ] }
            """, """<wf:field id="handoff"/>""");

        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("ask workflows/forms FORM_FIELD_INVALID: form field 'branch' sets the variable 'branch'")
            .And.Contain("FORM_FIELD_INVALID: form field 'caseId.part' sets the variable 'caseId'")
            .And.Contain("FORM_INVALID: field '__proto__': the key has a prohibited segment")
            .And.Contain("FORM_INVALID: the html component 'h' holds an event handler (onerror=)")
            .And.Contain("FORM_INVALID: the text component holds a javascript: or vbscript: address")
            .And.Contain("own workflows/forms FORM_FIELD_INVALID: form field 'handoff' sets the variable 'handoff'")
            .And.Not.Contain("'calendar'"));
    }

    [Test]
    public async Task A_form_of_ordinary_keys_and_plain_text_passes_the_live_check()
    {
        var (code, output) = await LintAsync("""
            { "components": [
              { "type": "text", "text": "# Your visit\n> one = one, see [help](https://example.com)" },
              { "type": "html", "content": "<p>Read <a href='https://example.com'>the terms</a></p>" },
              { "type": "textfield", "key": "customerId", "disabled": true },
              { "type": "group", "path": "visit", "components": [ { "type": "textfield", "key": "day" } ] }
            ] }
            """);

        Assert.That((code, output), Is.EqualTo((0, "")));
    }
}
