using System.Security;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// What the designer's form editor and panel never lose or overwrite unasked (review17 round 11 F3–F7), in Debian's
/// Chromium: leaving the page with form changes asks; "Design the form…" on a Camunda user task says what saving
/// changes and a form linked by id is named; a form form-js cannot read is said, never overwritten unasked, and logs no
/// error; a panel value being typed when another journey opens is committed to its own diagram and asked about; the
/// edited diagram is fitted into the canvas beside a side view and given its view back on close. No page logs an error
/// (BrowserFixture).
/// </summary>
[NonParallelizable]
public sealed class DesignerFormGuardsBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/lib/designer/designer.js", "/lib/designer/forms-editor.js"];

    private const string Unknown = """{ "type": "default", "id": "Form_unknown", "components": [ { "id": "c1", "type": "mycustom", "key": "x", "label": "X" } ] }""";

    private static string Shape(string id, int x) => $"""<bpmndi:BPMNShape id="{id}_di" bpmnElement="{id}"><dc:Bounds x="{x}" y="100" width="100" height="80" /></bpmndi:BPMNShape>""";

    // A Camunda 8 user task linking its form by id, with task listeners; two tasks whose embedded forms form-js cannot read.
    private static readonly string Model = $$"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="t">
          <bpmn:process id="guarded" isExecutable="true">
            <bpmn:extensionElements>
              <zeebe:userTaskForm id="broken_form">not json {"components": [</zeebe:userTaskForm>
              <zeebe:userTaskForm id="unknown_form">{{SecurityElement.Escape(Unknown)}}</zeebe:userTaskForm>
            </bpmn:extensionElements>
            <bpmn:userTask id="review" name="Review the order"><bpmn:extensionElements><zeebe:userTask /><zeebe:formDefinition formId="order-review-form" bindingType="deployment" /><zeebe:assignmentDefinition candidateGroups="reviewers" /><zeebe:taskListeners><zeebe:taskListener eventType="completing" type="review-done" /></zeebe:taskListeners></bpmn:extensionElements></bpmn:userTask>
            <bpmn:userTask id="broken" name="Broken form"><bpmn:extensionElements><zeebe:formDefinition formKey="camunda-forms:bpmn:broken_form" /></bpmn:extensionElements></bpmn:userTask>
            <bpmn:userTask id="unknown" name="Unknown field"><bpmn:extensionElements><zeebe:formDefinition formKey="camunda-forms:bpmn:unknown_form" /></bpmn:extensionElements></bpmn:userTask>
          </bpmn:process>
          <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="guarded">{{Shape("review", 200)}}{{Shape("broken", 360)}}{{Shape("unknown", 520)}}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </bpmn:definitions>
        """;

    private async Task<IPage> DesignerAsync(int width = 1440, int height = 900)
    {
        var page = await OpenAsync("alice", "/designer", width, height);
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        return page;
    }

    private static async Task OpenModelAsync(IPage page)
    {
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "guarded.bpmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(Model) });
        await ExpectTextAsync(page, "[data-test=status]", "guarded open");
    }

    private static async Task DesignFormAsync(IPage page, string task)
    {
        await page.EvaluateAsync($"() => window.wfDesigner.select('{task}')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await page.ClickAsync("[data-test=form-design]");
        await EditorLoadedAsync(page);
    }

    private static Task EditorLoadedAsync(IPage page) =>
        Assertions.Expect(page.Locator("[data-test=form-designer] .fjs-palette-field[data-field-type=textfield]")).ToBeVisibleAsync();

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    [Test]
    public async Task Leaving_the_page_with_changes_in_the_form_editor_asks_first()
    {
        var page = await DesignerAsync();
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await DesignFormAsync(page, "survey");
        var fields = page.Locator("[data-test=form-designer] [data-test=form-editor] .fjs-element[data-id]");
        await Assertions.Expect(fields.First).ToBeVisibleAsync();
        var before = await fields.CountAsync();
        await page.Locator("[data-test=form-designer] .fjs-palette-field[data-field-type=textfield]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(fields).ToHaveCountAsync(before + 1);

        // The diagram itself has no edit: the only thing to ask about is the form.
        var questions = await CloseAsTheTabAsync(page);

        Assert.That(questions, Is.EqualTo(new[] { "beforeunload" }), "the browser's question before the form's changes are lost");
    }

    [Test]
    public async Task Designing_the_form_of_a_Camunda_user_task_says_what_saving_changes_and_a_form_linked_by_id_is_named()
    {
        var page = await DesignerAsync();
        await OpenModelAsync(page);
        await page.EvaluateAsync("() => window.wfDesigner.select('review')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await ExpectTextAsync(page, "[data-test=form-summary]", "A linked Camunda form (formId order-review-form): this engine cannot deploy it — designing one here replaces the link.");

        await page.ClickAsync("[data-test=form-design]");
        var changes = page.Locator("[data-test=form-designer] [data-test=form-changes]");
        await Assertions.Expect(changes).ToContainTextAsync("stops being a Camunda user task (zeebe:userTask)");
        await Assertions.Expect(changes).ToContainTextAsync("its 1 task listener (zeebe:taskListeners) is removed");
        await Assertions.Expect(changes).ToContainTextAsync("\"order-review-form\" (formId)");
        await EditorLoadedAsync(page);
        await page.ClickAsync("[data-test=form-designer] [data-test=form-save]");
        await Assertions.Expect(page.Locator("[data-test=form-designer]")).ToHaveCountAsync(0);

        var xml = await XmlAsync(page);
        var task = xml[xml.IndexOf("<bpmn:userTask id=\"review\"", StringComparison.Ordinal)..xml.IndexOf("<bpmn:userTask id=\"broken\"", StringComparison.Ordinal)];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(task, Does.Contain("formKey=\"camunda-forms:bpmn:UserTaskForm_review\""), task);
            Assert.That(task, Does.Not.Contain("formId").And.Not.Contain("bindingType").And.Not.Contain("taskListener").And.Not.Contain("<zeebe:userTask"), "what the dialog said is what saving did");
            Assert.That(task, Does.Contain("candidateGroups=\"reviewers\""), "the rest of the task stays");
        }
    }

    [Test]
    public async Task A_form_form_js_cannot_read_is_said_and_never_overwritten_unasked()
    {
        var page = await DesignerAsync();
        await OpenModelAsync(page);
        await page.EvaluateAsync("() => window.wfDesigner.select('broken')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await ExpectTextAsync(page, "[data-test=form-summary]", "A Camunda Form embedded as broken_form that form-js cannot read: its text is not JSON");

        await page.ClickAsync("[data-test=form-design]");
        var unread = page.Locator("[data-test=form-designer] [data-test=form-unread]");
        await Assertions.Expect(unread).ToContainTextAsync("The form embedded in this task (broken_form) cannot be opened in form-js: its text is not JSON");
        var questions = new List<string>();
        var answer = false;
        page.Dialog += async (_, dialog) => { questions.Add(dialog.Message); await (answer ? dialog.AcceptAsync() : dialog.DismissAsync()); };
        await page.ClickAsync("[data-test=form-designer] [data-test=form-save]");
        await Assertions.Expect(page.Locator("[data-test=form-designer]")).ToHaveCountAsync(1);
        var kept = await XmlAsync(page);
        await page.ClickAsync("[data-test=form-designer] [data-test=form-cancel]");
        await Assertions.Expect(page.Locator("[data-test=form-designer]")).ToHaveCountAsync(0);

        // A component form-js does not know: said, with form-js's reason, and no uncaught error in the page.
        await page.EvaluateAsync("() => window.wfDesigner.select('unknown')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await page.ClickAsync("[data-test=form-design]");
        await Assertions.Expect(unread).ToContainTextAsync("The form embedded in this task (unknown_form) cannot be opened in form-js: form-js cannot import it (form field of type <mycustom> not supported)");
        answer = true;
        await page.ClickAsync("[data-test=form-designer] [data-test=form-save]");
        await Assertions.Expect(page.Locator("[data-test=form-designer]")).ToHaveCountAsync(0);
        var replaced = await XmlAsync(page);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(kept, Does.Contain("not json {\"components\": ["), "the unreadable original stays when the analyst does not confirm");
            Assert.That(questions, Has.Count.EqualTo(2).And.All.Contains("which form-js could not open"));
            Assert.That(replaced, Does.Not.Contain("mycustom"), "confirmed, the original is replaced");
        }
    }

    [Test]
    public async Task A_panel_value_being_typed_when_another_journey_opens_is_committed_to_its_own_diagram_and_asked_about()
    {
        var page = await DesignerAsync();
        await OpenModelAsync(page);
        await page.EvaluateAsync("() => window.wfDesigner.select('review')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await page.ClickAsync("#bio-properties-panel-name");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("Review, still typing", new KeyboardTypeOptions { Delay = 5 });
        // A scripted select: the input keeps the focus, its value not yet committed.
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await Assertions.Expect(page.Locator("[data-test=unsaved-dialog]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-test=unsaved-cancel]");
        await ExpectTextAsync(page, "[data-test=selected]", "review");

        var xml = await XmlAsync(page);
        await page.ClickAsync("#validate");
        await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(valid|has errors|Not validated.*)$"));
        var status = await page.Locator("[data-test=status]").InnerTextAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(xml, Does.Contain("name=\"Review, still typing\"").And.Contain("id=\"guarded\""), "the typed value is in its own diagram, which stays open");
            Assert.That(status, Does.Not.StartWith("Not validated"), status);
        }
    }

    [Test]
    public async Task The_edited_diagram_is_fitted_beside_the_side_view_and_given_its_view_back_on_close()
    {
        var page = await DesignerAsync(1280, 800);
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        const string view = "() => { const v = window.wfDesigner.modeler.get('canvas').viewbox(); return [v.x, v.y, v.scale]; }";
        // Shapes of the edited diagram whose box is not inside the canvas (its container's box).
        const string outside = """
            () => {
              const m = window.wfDesigner.modeler, box = m.get('canvas').getContainer().getBoundingClientRect();
              return m.get('elementRegistry').filter(e => !e.waypoints && !e.labelTarget && e.parent).filter(e => {
                const r = m.get('elementRegistry').getGraphics(e).getBoundingClientRect();
                return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
              }).map(e => e.id);
            }
            """;
        var before = await page.EvaluateAsync<double[]>(view);
        await page.ClickAsync("[data-test=compare]");
        await Assertions.Expect(page.Locator("#side")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(no difference|layout only|\\d+ changes)$"));
        var hidden = await page.EvaluateAsync<string[]>(outside);
        await TestBrowser.ScreenshotAsync(page, "designer-compare-fitted-1280");
        await page.ClickAsync("[data-test=side-close]");
        await Assertions.Expect(page.Locator("#side")).ToBeHiddenAsync();
        var after = await page.EvaluateAsync<double[]>(view);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hidden, Is.Empty, "every element of the edited diagram is in view beside the comparison");
            Assert.That(after, Is.EqualTo(before).Within(0.5), "the view as it was before the side view opened");
        }
    }
}
