using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer keeps what it opens and never loses an edit unasked (review17 F1, F7, F8, F10, F11), in Debian's
/// Chromium: the wf: forms of the elements shared with Zeebe are shown in their groups and saved as they were opened;
/// a part of a file it cannot read is named in the status line; a collaboration whose black-box pool comes first opens as
/// its executable pool's journey; Escape inside form-js's editor stays there, and closing a changed form asks first; while
/// simulating the panel is read-only (no "model is read-only" page error) and the start event's ▶ is visible.
/// No page logs an error (BrowserFixture).
/// </summary>
[NonParallelizable]
public sealed class DesignerExtensionsBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/lib/designer/designer.js", "/lib/designer/forms-editor.js"];

    private const string Di = """xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" """;

    // A journey written with the wf: forms only: a service task with inputs and headers, a call activity, a script task.
    private const string SharedModel = $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" {Di} id="d" targetNamespace="t">
          <bpmn:process id="wf-shared" isExecutable="true">
            <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
            <bpmn:serviceTask id="notify" name="Notify"><bpmn:extensionElements><wf:taskDefinition type="notify-customer" /><wf:ioMapping><wf:input source="=customerId" target="to" /></wf:ioMapping><wf:taskHeaders><wf:header key="channel" value="email" /></wf:taskHeaders></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
            <bpmn:callActivity id="call" name="Call"><bpmn:extensionElements><wf:calledElement processId="complaint" propagateAllChildVariables="false" /></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>
            <bpmn:scriptTask id="sum" name="Sum"><bpmn:extensionElements><wf:script expression="=1 + 2" resultVariable="total" /></bpmn:extensionElements><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:scriptTask>
            <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notify" /><bpmn:sequenceFlow id="f2" sourceRef="notify" targetRef="call" />
            <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="sum" /><bpmn:sequenceFlow id="f4" sourceRef="sum" targetRef="end" />
          </bpmn:process>
          <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="wf-shared">
            <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="150" y="200" width="36" height="36" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="notify_di" bpmnElement="notify"><dc:Bounds x="240" y="178" width="100" height="80" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="call_di" bpmnElement="call"><dc:Bounds x="400" y="178" width="100" height="80" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="sum_di" bpmnElement="sum"><dc:Bounds x="560" y="178" width="100" height="80" /></bpmndi:BPMNShape>
            <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="720" y="200" width="36" height="36" /></bpmndi:BPMNShape>
            <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="186" y="218" /><di:waypoint x="240" y="218" /></bpmndi:BPMNEdge>
            <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="218" /><di:waypoint x="400" y="218" /></bpmndi:BPMNEdge>
            <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="500" y="218" /><di:waypoint x="560" y="218" /></bpmndi:BPMNEdge>
            <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="660" y="218" /><di:waypoint x="720" y="218" /></bpmndi:BPMNEdge>
          </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </bpmn:definitions>
        """;

    private async Task<IPage> DesignerAsync(int width = 1440, int height = 900)
    {
        var page = await OpenAsync("alice", "/designer", width, height);
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        return page;
    }

    private static Task OpenFileAsync(IPage page, string name, string xml) =>
        page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = name, MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(xml) });

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    [Test]
    public async Task The_wf_forms_of_Zeebes_elements_are_shown_in_the_panel_saved_as_opened_and_pass_the_live_checks()
    {
        var page = await DesignerAsync();
        await OpenFileAsync(page, "shared.bpmn", SharedModel);
        await ExpectTextAsync(page, "[data-test=status]", "wf-shared open");
        await ExpectTextAsync(page, "[data-test=lint]", "Nothing to fix");

        await page.EvaluateAsync("() => window.wfDesigner.select('call')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-called-element");
        await Assertions.Expect(page.Locator("#bio-properties-panel-wf-called-element-processId")).ToHaveValueAsync("complaint");


        var xml = await XmlAsync(page);
        var status = await page.Locator("[data-test=status]").InnerTextAsync();
        await TestBrowser.ScreenshotAsync(page, "designer-wf-shared");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Does.Not.Contain("could not be read"));
            Assert.That(xml, Does.Contain("<wf:input ").And.Contain("<wf:header ").And.Contain("<wf:calledElement processId=\"complaint\"").And.Contain("<wf:script "), xml);
        }
    }

    [Test]
    public async Task A_part_of_a_file_the_designer_cannot_read_is_named_when_it_opens()
    {
        var page = await DesignerAsync();
        await OpenFileAsync(page, "unknown.bpmn", SharedModel.Replace("<wf:script ", "<wf:noSuchThing ", StringComparison.Ordinal));
        await ExpectTextAsync(page, "[data-test=status]", "wf-shared open — 1 part of the file could not be read and will be left out when it is saved: unparsable content <wf:noSuchThing> detected");
    }

    // Two elements of one id: bpmn-moddle keeps the first and drops the second (review17 F14); the status says which.
    [Test]
    public async Task A_file_with_two_elements_of_one_id_says_so_when_it_opens()
    {
        var page = await DesignerAsync();
        var twice = SharedModel.Replace("<bpmn:endEvent id=\"end\">", "<bpmn:task id=\"call\" name=\"Twice\" /><bpmn:endEvent id=\"end\">", StringComparison.Ordinal);
        await OpenFileAsync(page, "twice.bpmn", twice);
        await ExpectTextAsync(page, "[data-test=status]", "wf-shared open — ");
        var status = await page.Locator("[data-test=status]").InnerTextAsync();
        var title = await page.Locator("[data-test=status]").GetAttributeAsync("title") ?? "";
        Assert.That(status + title, Does.Contain("could not be read").And.Contain("duplicate ID <call>"));
    }

    [Test]
    public async Task A_collaboration_whose_black_box_pool_comes_first_opens_as_its_executable_pools_journey()
    {
        var page = await DesignerAsync();
        await OpenFileAsync(page, "pools.bpmn", $"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {Di} id="d" targetNamespace="t">
              <bpmn:collaboration id="c">
                <bpmn:participant id="customer" name="Customer" />
                <bpmn:participant id="front" name="Front office" processRef="bb-journey" />
              </bpmn:collaboration>
              <bpmn:process id="bb-journey" isExecutable="true"><bpmn:startEvent id="start" /></bpmn:process>
              <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="c">
                <bpmndi:BPMNShape id="customer_di" bpmnElement="customer" isHorizontal="true"><dc:Bounds x="120" y="40" width="600" height="60" /></bpmndi:BPMNShape>
                <bpmndi:BPMNShape id="front_di" bpmnElement="front" isHorizontal="true"><dc:Bounds x="120" y="140" width="600" height="200" /></bpmndi:BPMNShape>
                <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="200" y="220" width="36" height="36" /></bpmndi:BPMNShape>
              </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
            </bpmn:definitions>
            """);
        await ExpectTextAsync(page, "[data-test=status]", "bb-journey open");
        await page.ClickAsync("#rollouts");
        await ExpectTextAsync(page, "[data-test=status]", "bb-journey has no deployed version yet");
    }

    [Test]
    public async Task Escape_inside_form_js_stays_in_the_editor_and_closing_a_changed_form_asks_first()
    {
        var page = await DesignerAsync();
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.EvaluateAsync("() => window.wfDesigner.select('survey')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await page.ClickAsync("[data-test=form-design]");
        var designer = page.Locator("[data-test=form-designer]");
        var fields = designer.Locator("[data-test=form-editor] .fjs-element[data-id]");
        await Assertions.Expect(fields.First).ToBeVisibleAsync();
        var before = await fields.CountAsync();
        await designer.Locator(".fjs-palette-field[data-field-type=textfield]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(fields).ToHaveCountAsync(before + 1);

        await designer.Locator(".fjs-palette-search").FillAsync("text");
        await designer.Locator(".fjs-palette-search").PressAsync("Escape");
        await Assertions.Expect(designer).ToHaveCountAsync(1);
        await Assertions.Expect(fields).ToHaveCountAsync(before + 1);

        // Cancel on a changed form asks; "keep editing" keeps it open with the field, "discard" closes it.
        var questions = new List<string>();
        var answer = false;
        page.Dialog += async (_, dialog) => { questions.Add(dialog.Message); await (answer ? dialog.AcceptAsync() : dialog.DismissAsync()); };
        await page.ClickAsync("[data-test=form-cancel]");
        await Assertions.Expect(designer).ToHaveCountAsync(1);
        answer = true;
        await designer.Locator("[data-test=form-cancel]").PressAsync("Escape");
        await Assertions.Expect(designer).ToHaveCountAsync(0);
        Assert.That(questions, Has.Count.EqualTo(2).And.All.Contains("changes that are not saved"));
    }

    [Test]
    public async Task While_simulating_the_panel_is_read_only_and_the_start_events_play_button_shows_at_1280_by_800()
    {
        var page = await DesignerAsync(1280, 800);
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.EvaluateAsync("() => window.wfDesigner.select('register')");
        await page.ClickAsync("[data-test=simulate]");
        await ExpectTextAsync(page, "[data-test=status]", "simulating");

        var inert = await page.EvaluateAsync<bool>("() => document.getElementById('properties-panel').inert");
        var zoom = await page.EvaluateAsync<double>("() => window.wfDesigner.modeler.get('canvas').zoom()");
        var start = await page.EvaluateAsync<string>("() => window.wfDesigner.modeler.get('elementRegistry').find(e => e.type === 'bpmn:StartEvent' && !e.labelTarget).id");
        await Assertions.Expect(page.Locator($".djs-overlays[data-container-id='{start}'] .bts-context-pad:visible").First).ToBeVisibleAsync();
        await TestBrowser.ScreenshotAsync(page, "designer-simulating-1280");
        await page.ClickAsync("[data-test=simulate]");
        var editable = await page.EvaluateAsync<bool>("() => !document.getElementById('properties-panel').inert");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inert, Is.True, "the panel is read-only while simulating");
            Assert.That(zoom, Is.GreaterThanOrEqualTo(0.5), "the simulation's overlays show from zoom 0.5");
            Assert.That(editable, Is.True, "the panel is editable again after Stop simulating");
        }
    }

    [Test]
    public async Task The_drafts_side_view_shows_every_button_whole_at_1280_by_800()
    {
        var page = await DesignerAsync(1280, 800);
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=status]", "saved");
        await page.SelectOptionAsync("[data-test=library]", "drafts:manage");
        var buttons = page.Locator("[data-test=drafts] button");
        await Assertions.Expect(page.Locator("[data-test=draft-rename]").First).ToBeVisibleAsync();
        await TestBrowser.ScreenshotAsync(page, "designer-drafts-side-1280");

        var clipped = await page.EvaluateAsync<string[]>("""
            () => {
              const side = document.getElementById('side').getBoundingClientRect();
              return [...document.querySelectorAll('[data-test=drafts] button')]
                .filter(b => { const r = b.getBoundingClientRect(); return r.width && (r.right > side.right + 0.5 || r.left < side.left - 0.5); })
                .map(b => b.textContent);
            }
            """);
        Assert.That(await buttons.CountAsync(), Is.GreaterThanOrEqualTo(3));
        Assert.That(clipped, Is.Empty, "buttons past the side view's edges");
    }
}
