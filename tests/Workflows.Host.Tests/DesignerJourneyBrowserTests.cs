using System.Net;
using System.Xml.Linq;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 17's acceptance, end to end in Debian's Chromium, headless, against the host on Kestrel: an analyst builds a new
/// journey from a blank diagram with the page's own controls — the process made executable and its id and the steps' ids
/// edited in the panel, a user task whose form is designed in form-js's editor, a service task made from the library's
/// "Notify the customer" template, a message catch with its correlation key, a timer on the user task's boundary, SLAs on
/// the process and the task — and deploys it; an agent starts it, finds the task's form in the inbox and completes it; the
/// template's handler runs, the message is correlated by its key and the instance completes. Only the shapes are placed
/// through bpmn-js's modelling (as its context pad and palette do). No page logs an error. Screenshots of each stage.
/// </summary>
[NonParallelizable]
public sealed class DesignerJourneyBrowserTests : BrowserFixture
{
    private static readonly XNamespace Bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    private static readonly XNamespace Zeebe = "http://camunda.org/schema/zeebe/1.0";

    private protected override IReadOnlyList<string> Warm { get; } =
        ["/app/designer.js", "/app/designer-steps.js", "/app/inbox.js", "/lib/designer/designer.js", "/lib/designer/designer.css", "/lib/designer/forms-editor.js", "/lib/designer/forms-viewer.js"];

    private static Task SetAsync(IPage page, string entry, string value, string written) => DesignerPanelBrowserTests.SetAsync(page, entry, value, written);

    private static Task OpenGroupAsync(IPage page, string group) => DesignerPanelBrowserTests.OpenGroupAsync(page, group);

    private static Task WrittenAsync(IPage page, string written) => DesignerPanelBrowserTests.WrittenAsync(page, written);

    private static Task<string> AppendAsync(IPage page, string source, string type, string? eventDefinition = null) =>
        DesignerPanelBrowserTests.AppendAsync(page, source, type, eventDefinition);

    // Attaches a timer to the bottom border of task, as dropping a boundary event from the palette onto it does, and selects it.
    private static async Task<string> AttachTimerAsync(IPage page, string task)
    {
        var id = await page.EvaluateAsync<string>("""
            task => {
              const m = window.wfDesigner.modeler;
              const host = m.get('elementRegistry').get(task);
              const shape = m.get('elementFactory').createShape({ type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' });
              const created = m.get('modeling').createShape(shape, { x: host.x + host.width / 2, y: host.y + host.height }, host, { attach: true });
              m.get('selection').select(created);
              return created.id;
            }
            """, task);
        await ExpectTextAsync(page, "[data-test=selected]", id);
        return id;
    }

    // The panel's General group: the selected element's id and name.
    private static async Task NameAsync(IPage page, string id, string name)
    {
        await OpenGroupAsync(page, "general");
        await SetAsync(page, "id", id, $"id=\"{id}\"");
        await SetAsync(page, "name", name, $"name=\"{name}\"");
        await ExpectTextAsync(page, "[data-test=selected]", id);
    }

    [Test]
    public async Task A_new_journey_from_a_blank_diagram_is_deployed_started_and_its_form_completed_in_the_inbox()
    {
        var page = await OpenAsync("alice", "/designer", 1280, 800);
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        await page.WaitForFunctionAsync("() => window.wfDesigner.modeler.get('elementTemplates').getAll().length > 0");

        // The process: a click on the canvas shows it in the panel.
        await page.ClickAsync("#canvas .djs-container", new PageClickOptions { Position = new Position { X = 500, Y = 450 } });
        await ExpectTextAsync(page, "[data-test=selected]", "Process");
        await NameAsync(page, "callback-request", "Callback request");
        await page.CheckAsync("#bio-properties-panel-isExecutable");
        await WrittenAsync(page, "isExecutable=\"true\"");
        await OpenGroupAsync(page, "wf-sla");
        await SetAsync(page, "wf-sla-target", "2 business days", "<wf:sla target=\"2 business days\"");

        await page.ClickAsync("g[data-element-id='StartEvent_1']");
        await NameAsync(page, "requested", "Callback requested");

        // The user task: its queue, its SLA, and its form designed in form-js's editor.
        await AppendAsync(page, "requested", "bpmn:UserTask");
        await NameAsync(page, "call_back", "Call the customer back");
        await OpenGroupAsync(page, "assignmentDefinition");
        await SetAsync(page, "assignmentDefinitionCandidateGroups", "front-desk", "candidateGroups=\"front-desk\"");
        await OpenGroupAsync(page, "wf-sla");
        await SetAsync(page, "wf-sla-target", "PT4H", "<wf:sla target=\"PT4H\"");
        await OpenGroupAsync(page, "wf-camunda-form");
        await ExpectTextAsync(page, "[data-test=form-summary]", "No form yet");
        await page.ClickAsync("[data-test=form-design]");
        var designer = page.Locator("[data-test=form-designer]");
        // The palette's text field, added by the keyboard (Enter on a palette entry appends it to the form).
        await designer.Locator(".fjs-palette-field[data-field-type=textfield]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var field = designer.Locator("[data-test=form-editor] .fjs-element[data-id]:not([data-id^='Form_'])").Last;
        await field.ClickAsync();
        await designer.Locator("[data-test=form-panel] .bio-properties-panel-group-header").GetByText("General").ClickAsync();
        var label = designer.Locator("[data-test=form-panel] #bio-properties-panel-label");
        await label.FillAsync("What the customer agreed");
        await label.PressAsync("Tab");
        var key = designer.Locator("[data-test=form-panel] #bio-properties-panel-key");
        await key.FillAsync("agreement");
        await key.PressAsync("Tab");
        await Assertions.Expect(field).ToContainTextAsync("What the customer agreed");
        await TestBrowser.ScreenshotAsync(page, "journey-form-js");
        await page.ClickAsync("[data-test=form-save]");
        await Assertions.Expect(designer).ToHaveCountAsync(0);
        await WrittenAsync(page, "formKey=\"camunda-forms:bpmn:UserTaskForm_call_back\"");

        // A timer on the task's boundary: after 8 hours the call is given up.
        await AttachTimerAsync(page, "call_back");
        await NameAsync(page, "no_answer", "No answer in 8 hours");
        await OpenGroupAsync(page, "timer");
        await page.SelectOptionAsync("#bio-properties-panel-timerEventDefinitionType", "timeDuration");
        await SetAsync(page, "timerEventDefinitionValue", "PT8H", ">PT8H<");
        await AppendAsync(page, "no_answer", "bpmn:EndEvent");
        await NameAsync(page, "given_up", "Given up");

        // The service task: a plain task turned into the library's "Notify the customer" by the panel's template chooser.
        await AppendAsync(page, "call_back", "bpmn:Task");
        await page.ClickAsync("[data-group-id='group-ElementTemplates__Template'] .bio-properties-panel-select-template-button");
        await page.FillAsync("[data-test=template-search]", "notify");
        await page.Locator("[data-test=template-chooser] [data-template='io.workflows.notify-customer']").ClickAsync();
        await WrittenAsync(page, "zeebe:modelerTemplate=\"io.workflows.notify-customer\"");
        await ExpectTextAsync(page, "[data-test=selected]", "ServiceTask");
        await NameAsync(page, "confirm_callback", "Confirm the callback");
        await OpenGroupAsync(page, "ElementTemplates__CustomProperties-settings");
        await page.Locator("[data-group-id='group-ElementTemplates__CustomProperties-settings']").GetByLabel("Message", new() { Exact = true })
            .FillAsync("We called you back.");
        await WrittenAsync(page, "value=\"We called you back.\"");

        // A message the journey waits for, correlated by the customer's id.
        await AppendAsync(page, "confirm_callback", "bpmn:IntermediateCatchEvent", "bpmn:MessageEventDefinition");
        await NameAsync(page, "rated", "Customer rated the call");
        await OpenGroupAsync(page, "message");
        await page.SelectOptionAsync("#bio-properties-panel-messageRef", "create-new");
        await SetAsync(page, "messageName", "callback-rated", "name=\"callback-rated\"");
        await page.ClickAsync("[data-entry-id='messageSubscriptionCorrelationKey'] .cm-content");
        await page.Keyboard.InsertTextAsync("customerId");
        await WrittenAsync(page, "correlationKey=\"=customerId\"");
        await AppendAsync(page, "rated", "bpmn:EndEvent");
        await NameAsync(page, "done", "Callback done");

        await ExpectTextAsync(page, "[data-test=lint]", "Nothing to fix");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Deployed callback-request version 1");
        await TestBrowser.ScreenshotAsync(page, "journey-deployed");
        var serverErrors = await page.Locator("[data-test=server-findings] td.state-breached").CountAsync();

        var deployed = XDocument.Parse(await (await As("alice")).GetStringAsync(new Uri("/api/definitions/callback-request/versions/1/xml", UriKind.Relative)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(serverErrors, Is.Zero, "the server found no error");
            Assert.That((string?)deployed.Descendants(Bpmn + "process").Single().Attribute("isExecutable"), Is.EqualTo("true"));
            Assert.That(deployed.Descendants(Bpmn + "userTask").Single().Attribute("id")!.Value, Is.EqualTo("call_back"));
            Assert.That(deployed.Descendants(Zeebe + "userTaskForm").Single().Value, Does.Contain("\"key\": \"agreement\""));
            Assert.That(deployed.Descendants(Bpmn + "boundaryEvent").Single().Attribute("attachedToRef")!.Value, Is.EqualTo("call_back"));
            Assert.That(deployed.Descendants(Bpmn + "timeDuration").Single().Value, Is.EqualTo("PT8H"));
            Assert.That(deployed.Descendants(Zeebe + "subscription").Single().Attribute("correlationKey")!.Value, Is.EqualTo("=customerId"));
            Assert.That(deployed.Descendants(Bpmn + "serviceTask").Single().Attribute("id")!.Value, Is.EqualTo("confirm_callback"));
            Assert.That(deployed.ToString(), Does.Contain("target=\"PT4H\"").And.Contain("target=\"2 business days\""), "the SLAs of the task and of the process");
        }

        // Started by an agent; its form shown by form-js in the inbox and completed there.
        var ann = await As("ann");
        var instance = await ann.StartAsync("callback-request", new { customerId = "cust-cb-1" });
        var task = await ann.TaskAsync(instance, "call_back");
        var inbox = await OpenAsync("ann", "/inbox", 1280, 800);
        await inbox.ClickAsync($"[data-task=\"{task}\"]");
        var form = inbox.Locator("[data-test=task-form]");
        await form.GetByLabel("What the customer agreed").FillAsync("a new appointment on Monday");
        await TestBrowser.ScreenshotAsync(inbox, "journey-inbox");
        await inbox.ClickAsync("[data-test=task] [data-test=complete]");
        await Assertions.Expect(inbox.Locator($"[data-task=\"{task}\"]")).ToHaveCountAsync(0);

        // The template's handler notifies the customer; the journey waits for the rating, correlated by the customer's id.
        var central = await As("otto");
        await Api.EventuallyAsync(async () =>
            await central.GetJsonAsync($"/api/instances/{instance}/inspection") is var i && i.ToString().Contains("\"rated\"", StringComparison.Ordinal) ? i : default,
            "the instance waits at the message");
        await ann.PostJsonAsync("/api/messages", new { name = "callback-rated", correlationKey = "cust-cb-1" }, HttpStatusCode.OK);
        var done = await Api.EventuallyAsync(async () =>
            await central.GetJsonAsync($"/api/instances/{instance}/inspection") is var i && i.GetProperty("instance").GetProperty("status").GetString() == "completed" ? i : default,
            "the instance completed");
        var variables = done.GetProperty("scope").GetProperty("variables");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(variables.GetProperty("agreement").GetString(), Is.EqualTo("a new appointment on Monday"), "the form's answer reached the journey");
            Assert.That(variables.GetProperty("notificationId").GetString(), Does.StartWith("NOTE-"), "the template's handler ran");
        }
    }
}
