using System.Xml.Linq;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's bpmn.io properties panel and live checks in Debian's Chromium, headless, against the host on Kestrel:
/// an analyst builds a journey from a blank diagram through the panel and deploys it; opens a Camunda 8 model, finds
/// its Zeebe values in the panel, edits and saves it still valid for Camunda 8; and sees a live finding appear while
/// editing and go when fixed. No page logs an error. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class DesignerPanelBrowserTests : BrowserFixture
{
    private static readonly XNamespace Bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    private static readonly XNamespace Zeebe = "http://camunda.org/schema/zeebe/1.0";

    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/lib/designer/designer.js", "/lib/designer/designer.css"];

    private async Task<IPage> DesignerAsync()
    {
        var page = await OpenAsync("alice", "/designer");
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        return page;
    }

    /// <summary>Opens the panel's group <paramref name="group"/> unless it is open.</summary>
    internal static async Task OpenGroupAsync(IPage page, string group)
    {
        var header = page.Locator($"[data-group-id='group-{group}'] .bio-properties-panel-group-header").First;
        var classes = await header.GetAttributeAsync("class") ?? "";
        if (!classes.Split(' ').Contains("open"))
        {
            await header.ClickAsync();
        }
    }

    /// <summary>Opens the item <paramref name="item"/> of a list group (as <c>wf-form-3</c>) unless it is open.</summary>
    internal static async Task OpenItemAsync(IPage page, string item)
    {
        var header = page.Locator($"[data-entry-id='{item}'] .bio-properties-panel-collapsible-entry-header").First;
        var entries = page.Locator($"[data-entry-id='{item}'] .bio-properties-panel-collapsible-entry-entries").First;
        var classes = await entries.GetAttributeAsync("class") ?? "";
        if (!classes.Split(' ').Contains("open"))
        {
            await header.ClickAsync();
        }
    }

    /// <summary>Types <paramref name="value"/> into the panel's entry <paramref name="entry"/> and waits until the diagram's XML holds <paramref name="written"/>.</summary>
    internal static async Task SetAsync(IPage page, string entry, string value, string written)
    {
        await page.FillAsync($"#bio-properties-panel-{entry}", value);
        await WrittenAsync(page, written);
    }

    internal static async Task WrittenAsync(IPage page, string written) =>
        Assert.That(await XmlHoldsAsync(page, written, TimeSpan.FromSeconds(60)), Is.True, $"the diagram's XML never held {written}");

    /// <summary>
    /// Whether the diagram's XML holds <paramref name="written"/> within <paramref name="patience"/>. Polled from here:
    /// bpmn-js's saveXML answers with a promise, and WaitForFunction takes a promise for a truthy answer at once (so it
    /// never waited for the 300 ms after which the panel's fields commit what is typed).
    /// </summary>
    internal static async Task<bool> XmlHoldsAsync(IPage page, string written, TimeSpan patience)
    {
        var until = DateTime.UtcNow + patience;
        while (true)
        {
            if ((await page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml")).Contains(written, StringComparison.Ordinal))
            {
                return true;
            }

            if (DateTime.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(100);
        }
    }

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML({ format: true })).xml");

    private static Task<string> SelectedIdAsync(IPage page) => page.EvaluateAsync<string>("() => window.wfDesigner.modeler.get('selection').get()[0].id");

    // Appends a new element of the type given (with an event definition, when given) after the element source, as the
    // context pad's append does (placed by bpmn-js's auto-place, with the modelling behaviours of Zeebe), and selects it.
    internal static async Task<string> AppendAsync(IPage page, string source, string type, string? eventDefinition = null)
    {
        var id = await page.EvaluateAsync<string>("""
            ([source, type, eventDefinitionType]) => {
              const m = window.wfDesigner.modeler;
              const shape = m.get('elementFactory').createShape(eventDefinitionType ? { type, eventDefinitionType } : { type });
              const created = m.get('autoPlace').append(m.get('elementRegistry').get(source), shape);
              m.get('selection').select(created);
              return created.id;
            }
            """, new[] { source, type, eventDefinition });
        await ExpectTextAsync(page, "[data-test=selected]", id);
        return id;
    }

    [Test, Order(1)]
    public async Task A_blank_diagram_is_made_executable_through_the_panel_and_deployed()
    {
        var page = await DesignerAsync();

        // The process's own properties: by clicking the canvas.
        await page.ClickAsync("#canvas .djs-container", new PageClickOptions { Position = new Position { X = 600, Y = 500 } });
        await ExpectTextAsync(page, "[data-test=selected]", "Process");
        await OpenGroupAsync(page, "general");
        await SetAsync(page, "id", "panel-journey", "id=\"panel-journey\"");
        await SetAsync(page, "name", "Journey built in the panel", "name=\"Journey built in the panel\"");
        await page.CheckAsync("#bio-properties-panel-isExecutable");
        await WrittenAsync(page, "isExecutable=\"true\"");
        await OpenGroupAsync(page, "wf-sla");
        await SetAsync(page, "wf-sla-target", "2 business days", "<wf:sla target=\"2 business days\"");

        var userTask = await AppendAsync(page, "StartEvent_1", "bpmn:UserTask");
        await OpenGroupAsync(page, "general");
        await SetAsync(page, "name", "Check the request", "name=\"Check the request\"");
        await OpenGroupAsync(page, "assignmentDefinition");
        await SetAsync(page, "assignmentDefinitionCandidateGroups", "front-desk", "candidateGroups=\"front-desk\"");
        await OpenGroupAsync(page, "wf-sla");
        await SetAsync(page, "wf-sla-target", "PT4H", "<wf:sla target=\"PT4H\"");
        await SetAsync(page, "wf-sla-warnings", "50%,75%", "warnings=\"50%,75%\"");

        var serviceTask = await AppendAsync(page, userTask, "bpmn:ServiceTask");
        await OpenGroupAsync(page, "taskDefinition");
        await SetAsync(page, "taskDefinitionType", "notify-customer", "type=\"notify-customer\"");

        var timer = await AppendAsync(page, serviceTask, "bpmn:IntermediateCatchEvent", "bpmn:TimerEventDefinition");
        await OpenGroupAsync(page, "timer");
        await page.SelectOptionAsync("#bio-properties-panel-timerEventDefinitionType", "timeDuration");
        await SetAsync(page, "timerEventDefinitionValue", "PT1H", ">PT1H<");
        await AppendAsync(page, timer, "bpmn:EndEvent");

        await ExpectTextAsync(page, "[data-test=lint]", "Nothing to fix");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Deployed panel-journey version 1");
        await TestBrowser.ScreenshotAsync(page, "designer-panel-blank");

        var deployed = XDocument.Parse(await (await As("alice")).GetStringAsync(new Uri("/api/definitions/panel-journey/versions/1/xml", UriKind.Relative)));
        var process = deployed.Descendants(Bpmn + "process").Single();
        var serverErrors = await page.Locator("[data-test=server-findings] td.state-breached").CountAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((string?)process.Attribute("isExecutable"), Is.EqualTo("true"));
            Assert.That(deployed.Descendants(Bpmn + "userTask").Single().Attribute("id")!.Value, Is.EqualTo(userTask));
            Assert.That(deployed.Descendants(Zeebe + "assignmentDefinition").Single().Attribute("candidateGroups")!.Value, Is.EqualTo("front-desk"));
            Assert.That(deployed.Descendants(Zeebe + "taskDefinition").Single().Attribute("type")!.Value, Is.EqualTo("notify-customer"));
            Assert.That(deployed.Descendants(Bpmn + "serviceTask").Single().Attribute("id")!.Value, Is.EqualTo(serviceTask));
            Assert.That(deployed.Descendants(Bpmn + "intermediateCatchEvent").Single(e => (string?)e.Attribute("id") == timer).Descendants(Bpmn + "timeDuration").Single().Value, Is.EqualTo("PT1H"));
            Assert.That(deployed.ToString(), Does.Contain("target=\"PT4H\"").And.Contain("target=\"2 business days\""), "the SLAs of the task and of the process");
            Assert.That(serverErrors, Is.Zero, "the server found no error");
        }
    }

    private const string CamundaModel = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
            xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
            xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="c8" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0"
            modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
          <bpmn:process id="c8-order" name="Order" isExecutable="true">
            <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
            <bpmn:userTask id="approve" name="Approve the order">
              <bpmn:extensionElements>
                <zeebe:assignmentDefinition assignee="=approver" candidateGroups="sales" />
              </bpmn:extensionElements>
              <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
            </bpmn:userTask>
            <bpmn:serviceTask id="charge" name="Charge the card">
              <bpmn:extensionElements>
                <zeebe:taskDefinition type="charge-card" retries="5" />
                <zeebe:taskHeaders><zeebe:header key="provider" value="acme" /></zeebe:taskHeaders>
              </bpmn:extensionElements>
              <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
            </bpmn:serviceTask>
            <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
            <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="charge" />
            <bpmn:sequenceFlow id="f3" sourceRef="charge" targetRef="end" />
          </bpmn:process>
          <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="c8-order">
            <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="100" width="36" height="36" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="approve_di" bpmnElement="approve"><dc:Bounds x="270" y="78" width="100" height="80" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="charge_di" bpmnElement="charge"><dc:Bounds x="430" y="78" width="100" height="80" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="592" y="100" width="36" height="36" /></bpmndi:BPMNShape>
            <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="216" y="118" /><di:waypoint x="270" y="118" /></bpmndi:BPMNEdge>
            <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="370" y="118" /><di:waypoint x="430" y="118" /></bpmndi:BPMNEdge>
            <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="530" y="118" /><di:waypoint x="592" y="118" /></bpmndi:BPMNEdge>
          </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </bpmn:definitions>
        """;

    [Test, Order(2)]
    public async Task A_Camunda_8_model_shows_its_Zeebe_values_in_the_panel_and_saves_edited_still_valid_for_Camunda_8()
    {
        var page = await DesignerAsync();
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "order.bpmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(CamundaModel) });
        await ExpectTextAsync(page, "[data-test=status]", "c8-order open");

        await page.ClickAsync("g[data-element-id='approve']");
        await OpenGroupAsync(page, "assignmentDefinition");
        var candidateGroups = await page.InputValueAsync("#bio-properties-panel-assignmentDefinitionCandidateGroups");
        var assignee = await page.TextContentAsync("[data-entry-id='assignmentDefinitionAssignee']");
        await SetAsync(page, "assignmentDefinitionCandidateGroups", "sales,finance", "candidateGroups=\"sales,finance\"");

        await page.ClickAsync("g[data-element-id='charge']");
        await OpenGroupAsync(page, "taskDefinition");
        var type = await page.InputValueAsync("#bio-properties-panel-taskDefinitionType");
        await SetAsync(page, "taskDefinitionType", "charge-card-v2", "type=\"charge-card-v2\"");
        await OpenGroupAsync(page, "headers");
        var headers = await page.TextContentAsync("[data-group-id='group-headers']");
        await ExpectTextAsync(page, "[data-test=lint]", "Nothing to fix");
        await TestBrowser.ScreenshotAsync(page, "designer-panel-camunda8");

        var saved = XDocument.Parse(await XmlAsync(page));
        using var content = new StringContent(saved.ToString(), System.Text.Encoding.UTF8, "application/xml");
        using var validated = await (await As("alice")).PostAsync(new Uri("/api/definitions/validate", UriKind.Relative), content);
        var report = await validated.JsonAsync(System.Net.HttpStatusCode.OK);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(candidateGroups, Is.EqualTo("sales"), "the Zeebe value is shown");
            Assert.That(assignee, Does.Contain("approver"), "a FEEL value is shown too");
            Assert.That(type, Is.EqualTo("charge-card"));
            Assert.That(headers, Does.Contain("provider"));
            Assert.That(saved.Descendants(Zeebe + "taskDefinition").Single().Attribute("type")!.Value, Is.EqualTo("charge-card-v2"));
            Assert.That(saved.Descendants(Zeebe + "taskDefinition").Single().Attribute("retries")!.Value, Is.EqualTo("5"));
            Assert.That(saved.Descendants(Zeebe + "assignmentDefinition").Single().Attribute("candidateGroups")!.Value, Is.EqualTo("sales,finance"));
            Assert.That(saved.Descendants(Zeebe + "header").Single().Attribute("value")!.Value, Is.EqualTo("acme"));
            Assert.That(saved.Root!.Attributes().Where(a => a.IsNamespaceDeclaration).Select(a => a.Value), Does.Not.Contain("urn:workflows:bpmn:1.0"), "nothing of the engine's own was added");
            Assert.That(saved.Root.Attribute(XNamespace.Get("http://camunda.org/schema/modeler/1.0") + "executionPlatform")?.Value, Is.EqualTo("Camunda Cloud"));
            Assert.That(report.GetProperty("valid").GetBoolean(), Is.True, report.ToString());
        }
    }

    [Test, Order(3)]
    public async Task A_live_finding_appears_while_editing_and_goes_when_fixed()
    {
        var page = await DesignerAsync();
        var task = await AppendAsync(page, "StartEvent_1", "bpmn:ServiceTask");

        await ExpectTextAsync(page, "[data-test=lint]", "TASK_TYPE_MISSING");
        var row = await page.TextContentAsync($"[data-test=lint] tr[data-finding='TASK_TYPE_MISSING'][data-element='{task}']");
        var marked = await page.Locator($".djs-overlays[data-container-id='{task}'] .bjsl-overlay").CountAsync();
        await TestBrowser.ScreenshotAsync(page, "designer-lint");

        await OpenGroupAsync(page, "taskDefinition");
        await SetAsync(page, "taskDefinitionType", "notify", "type=\"notify\"");
        await Assertions.Expect(page.Locator($"[data-test=lint] tr[data-finding='TASK_TYPE_MISSING']")).ToHaveCountAsync(0);

        // The engine's own extensions are checked too: an SLA whose target is no duration.
        await OpenGroupAsync(page, "wf-sla");
        await SetAsync(page, "wf-sla-target", "soon", "target=\"soon\"");
        await ExpectTextAsync(page, "[data-test=lint]", "SLA_INVALID");
        await SetAsync(page, "wf-sla-target", "4 working hours", "target=\"4 working hours\"");
        await Assertions.Expect(page.Locator("[data-test=lint] tr[data-finding='SLA_INVALID']")).ToHaveCountAsync(0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(row, Does.Contain("task definition"));
            Assert.That(marked, Is.GreaterThan(0), "the element is marked on the canvas");
        }
    }
}
