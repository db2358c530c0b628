using System.Text;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The panel's groups for the wf: forms of Zeebe's elements (docs/bpmn-extensions.md, "Shared with Zeebe"), in Debian's
/// Chromium against the host on Kestrel: a journey written with every shared element in its wf: form shows each one's
/// group; an edit typed (or chosen) in each single-element group, and items edited, added and removed in the list groups
/// (input and output mappings, task headers), reach the diagram's XML, and after Save draft, a reload and the draft
/// opened again, the panel shows what was typed. No page logs an error (BrowserFixture).
/// </summary>
[NonParallelizable]
public sealed class DesignerSharedGroupsBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/app/designer-drafts.js", "/lib/designer/designer.js"];

    // The steps of one row, joined by sequence flows in this order: each element's XML (its flows go where {0} is) and
    // its shape's size. Every element shared with Zeebe is here in its wf: form only.
    private static readonly (string Id, string Xml, int Width, int Height)[] Steps =
    [
        ("start", """<bpmn:startEvent id="start">{0}</bpmn:startEvent>""", 36, 36),
        ("work", """<bpmn:userTask id="work" name="Work"><bpmn:extensionElements><wf:assignmentDefinition candidateGroups="front-desk" /><wf:priorityDefinition priority="70" /><wf:taskSchedule dueDate="PT4H" /></bpmn:extensionElements>{0}</bpmn:userTask>""", 100, 80),
        ("notify", """<bpmn:serviceTask id="notify" name="Notify"><bpmn:extensionElements><wf:taskDefinition type="notify-customer" /><wf:ioMapping><wf:input source="=customerId" target="to" /><wf:output source="=sent" target="notified" /></wf:ioMapping><wf:taskHeaders><wf:header key="channel" value="email" /></wf:taskHeaders></bpmn:extensionElements>{0}</bpmn:serviceTask>""", 100, 80),
        ("call", """<bpmn:callActivity id="call" name="Call"><bpmn:extensionElements><wf:calledElement processId="complaint" bindingType="versionTag" versionTag="v2" propagateAllChildVariables="false" /></bpmn:extensionElements>{0}</bpmn:callActivity>""", 100, 80),
        ("sum", """<bpmn:scriptTask id="sum" name="Sum"><bpmn:extensionElements><wf:script expression="=a + b" resultVariable="total" /></bpmn:extensionElements>{0}</bpmn:scriptTask>""", 100, 80),
        ("each", """<bpmn:serviceTask id="each" name="Each"><bpmn:extensionElements><wf:taskDefinition type="notify-customer" /></bpmn:extensionElements>{0}<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><wf:loopCharacteristics inputCollection="=items" inputElement="item" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>""", 100, 80),
        ("pick", """<bpmn:adHocSubProcess id="pick" name="Pick"><bpmn:extensionElements><wf:adHoc activeElementsCollection="=[&quot;inner&quot;]" /></bpmn:extensionElements>{0}<bpmn:task id="inner" name="Inner" /></bpmn:adHocSubProcess>""", 200, 140),
        ("when", """<bpmn:intermediateCatchEvent id="when" name="When">{0}<bpmn:conditionalEventDefinition id="cond"><bpmn:extensionElements><wf:conditionalFilter variableNames="amount" /></bpmn:extensionElements><bpmn:condition xsi:type="bpmn:tFormalExpression">=amount &gt; 10</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>""", 36, 36),
        ("wait", """<bpmn:receiveTask id="wait" name="Wait" messageRef="m">{0}</bpmn:receiveTask>""", 100, 80),
        ("end", """<bpmn:endEvent id="end">{0}</bpmn:endEvent>""", 36, 36),
    ];

    /// <summary>The journey <paramref name="processId"/>: the steps in a row, with their diagram.</summary>
    private static string Model(string processId)
    {
        var process = new StringBuilder();
        var shapes = new StringBuilder();
        var x = 150;
        var middle = 240;
        for (var i = 0; i < Steps.Length; i++)
        {
            var (id, xml, width, height) = Steps[i];
            var flows = (i > 0 ? $"<bpmn:incoming>f{i}</bpmn:incoming>" : "") + (i < Steps.Length - 1 ? $"<bpmn:outgoing>f{i + 1}</bpmn:outgoing>" : "");
            process.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, xml, flows)).Append('\n');
            var expanded = id == "pick" ? " isExpanded=\"true\"" : "";
            shapes.Append($"""<bpmndi:BPMNShape id="{id}_di" bpmnElement="{id}"{expanded}><dc:Bounds x="{x}" y="{middle - height / 2}" width="{width}" height="{height}" /></bpmndi:BPMNShape>""").Append('\n');
            if (id == "pick")
            {
                shapes.Append($"""<bpmndi:BPMNShape id="inner_di" bpmnElement="inner"><dc:Bounds x="{x + 50}" y="{middle - 40}" width="100" height="80" /></bpmndi:BPMNShape>""").Append('\n');
            }

            if (i > 0)
            {
                process.Append($"""<bpmn:sequenceFlow id="f{i}" sourceRef="{Steps[i - 1].Id}" targetRef="{id}" />""").Append('\n');
                shapes.Append($"""<bpmndi:BPMNEdge id="f{i}_di" bpmnElement="f{i}"><di:waypoint x="{x - 50}" y="{middle}" /><di:waypoint x="{x}" y="{middle}" /></bpmndi:BPMNEdge>""").Append('\n');
            }

            x += width + 50;
        }

        return $"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
              <bpmn:message id="m" name="answer"><bpmn:extensionElements><wf:subscription correlationKey="=caseId" /></bpmn:extensionElements></bpmn:message>
              <bpmn:process id="{processId}" isExecutable="true">
                <bpmn:extensionElements><wf:versionTag value="v9" /></bpmn:extensionElements>
                {process}
              </bpmn:process>
              <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="{processId}">
                {shapes}
              </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
            </bpmn:definitions>
            """;
    }

    private async Task<IPage> OpenModelAsync(string processId)
    {
        var page = await OpenAsync("alice", "/designer");
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = $"{processId}.bpmn", MimeType = "application/xml", Buffer = Encoding.UTF8.GetBytes(Model(processId)) });
        await ExpectTextAsync(page, "[data-test=status]", $"{processId} open");
        return page;
    }

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    // Selects the element as the page's script does (no click: the field typed in last keeps the focus until then) and
    // waits until the panel shows it: the panel follows the selection even with an edit still being typed.
    private static async Task SelectAsync(IPage page, string element)
    {
        await page.EvaluateAsync("id => window.wfDesigner.select(id)", element);
        await ExpectTextAsync(page, "[data-test=selected]", element);
        await Assertions.Expect(page.Locator("#bio-properties-panel-id")).ToHaveValueAsync(element, new LocatorAssertionsToHaveValueOptions { Timeout = 10_000 });
    }

    private static Task<bool> KeptAsync(IPage page, string written) => DesignerPanelBrowserTests.XmlHoldsAsync(page, written, TimeSpan.FromSeconds(5));

    // Saves the open diagram as a draft, reloads the page and opens the draft again.
    private async Task ReopenAsync(IPage page, string processId)
    {
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved");
        var drafts = await (await As("alice")).GetJsonAsync("/api/drafts");
        var id = drafts.EnumerateArray().Single(d => d.GetProperty("processId").GetString() == processId).GetProperty("id").GetString();
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        await page.SelectOptionAsync("[data-test=library]", $"draft:{id}");
        await ExpectTextAsync(page, "[data-test=status]", $"{processId} open");
    }

    private const string Called = "<wf:calledElement processId=\"claim\" bindingType=\"deployment\" propagateAllChildVariables=\"false\" />";

    // Each group of a single wf: element: the element it is on, the group, the entry, the value typed (or chosen), and
    // what the XML holds once every edit is made.
    private static readonly (string Element, string Group, string Entry, string Value, string Written)[] SingleEdits =
    [
        ("work", "wf-assignment", "candidateGroups", "back-office", "<wf:assignmentDefinition candidateGroups=\"back-office\" />"),
        ("work", "wf-priority", "priority", "80", "<wf:priorityDefinition priority=\"80\" />"),
        ("work", "wf-schedule", "dueDate", "PT8H", "<wf:taskSchedule dueDate=\"PT8H\" />"),
        ("call", "wf-called-element", "processId", "claim", Called),
        ("call", "wf-called-element", "bindingType", "deployment", Called),
        ("call", "wf-called-element", "versionTag", "", Called),
        ("sum", "wf-script", "expression", "=a * b", "<wf:script expression=\"=a * b\" resultVariable=\"total\" />"),
        ("each", "wf-multi-instance", "inputCollection", "=orders", "<wf:loopCharacteristics inputCollection=\"=orders\" inputElement=\"item\" />"),
        ("pick", "wf-ad-hoc", "activeElementsCollection", "=[\"inner\", \"inner\"]", "<wf:adHoc activeElementsCollection=\"=[&#34;inner&#34;, &#34;inner&#34;]\" />"),
        ("when", "wf-conditional-filter", "variableNames", "amount,limit", "<wf:conditionalFilter variableNames=\"amount,limit\" />"),
        ("wait", "wf-subscription", "correlationKey", "=customerId", "<wf:subscription correlationKey=\"=customerId\" />"),
        ("PROCESS", "wf-version-tag", "value", "v10", "<wf:versionTag value=\"v10\" />"),
    ];

    [Test]
    public async Task An_edit_in_each_wf_group_of_a_Zeebe_element_is_saved_and_shown_again_after_a_reload()
    {
        const string processId = "wf-shared-single";
        var page = await OpenModelAsync(processId);
        var missing = new List<string>();
        foreach (var (element, group, entry, value, _) in SingleEdits)
        {
            // Typed, then straight on to the next element, as a script selects: no pause, no click elsewhere.
            await SelectAsync(page, element == "PROCESS" ? processId : element);
            var header = page.Locator($"[data-group-id='group-{group}']");
            if (await header.CountAsync() == 0)
            {
                missing.Add($"{group} on {element}");
                continue;
            }

            await DesignerPanelBrowserTests.OpenGroupAsync(page, group);
            var field = page.Locator($"#bio-properties-panel-{group}-{entry}");
            if (await field.EvaluateAsync<string>("e => e.tagName") == "SELECT")
            {
                await field.SelectOptionAsync(value);
            }
            else
            {
                await field.FillAsync(value);
            }
        }

        await SelectAsync(page, "start");
        var lost = new List<string>();
        foreach (var (_, group, entry, value, written) in SingleEdits)
        {
            if (!await KeptAsync(page, written))
            {
                lost.Add($"{group}-{entry} = '{value}'");
            }
        }

        var saved = await XmlAsync(page);
        await TestBrowser.ScreenshotAsync(page, "designer-wf-shared-groups");
        Assert.That(missing, Is.Empty, "groups not shown");
        Assert.That(lost, Is.Empty, $"edits not in the XML:\n{saved}");

        await ReopenAsync(page, processId);
        var shown = new List<string>();
        foreach (var (element, group, entry, value, _) in SingleEdits)
        {
            await SelectAsync(page, element == "PROCESS" ? processId : element);
            await DesignerPanelBrowserTests.OpenGroupAsync(page, group);
            var now = await page.InputValueAsync($"#bio-properties-panel-{group}-{entry}");
            if (now != value)
            {
                shown.Add($"{group}-{entry}: '{now}', typed '{value}'");
            }
        }

        Assert.That(shown, Is.Empty, "what the reopened draft shows");
    }

    [Test]
    public async Task Input_output_mappings_and_task_headers_in_their_wf_form_are_edited_added_and_removed_through_their_groups()
    {
        const string processId = "wf-shared-lists";
        var page = await OpenModelAsync(processId);
        await SelectAsync(page, "notify");
        var groups = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('[data-group-id]')].map(g => g.getAttribute('data-group-id'))");
        Assert.That(groups, Does.Contain("group-wf-inputs").And.Contain("group-wf-outputs").And.Contain("group-wf-headers"));

        async Task EditAsync(string item, string entry, string value)
        {
            await DesignerPanelBrowserTests.OpenItemAsync(page, item);
            await page.FillAsync($"#bio-properties-panel-{item}-{entry}", value);
        }

        Task AddAsync(string group) => page.Locator($"[data-group-id='group-{group}'] .bio-properties-panel-add-entry").ClickAsync();

        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-inputs");
        await EditAsync("wf-inputs-0", "source", "=customer.email");
        await AddAsync("wf-inputs");
        await EditAsync("wf-inputs-1", "target", "channel");
        await EditAsync("wf-inputs-1", "source", "=preferredChannel");

        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-headers");
        await AddAsync("wf-headers");
        await EditAsync("wf-headers-1", "key", "language");
        await EditAsync("wf-headers-1", "value", "fr");
        // The item's delete button shows while the pointer is over its header.
        await page.HoverAsync("[data-entry-id='wf-headers-0'] .bio-properties-panel-collapsible-entry-header");
        await page.Locator("[data-entry-id='wf-headers-0'] .bio-properties-panel-remove-entry").ClickAsync();

        // The last edit typed, then another element selected at once: kept on this task, and the panel shows the other.
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-outputs");
        await EditAsync("wf-outputs-0", "target", "notifiedAt");
        await SelectAsync(page, "call");

        var lost = new List<string>();
        foreach (var written in new[]
                 {
                     "<wf:ioMapping><wf:input source=\"=customer.email\" target=\"to\" /><wf:input source=\"=preferredChannel\" target=\"channel\" /><wf:output source=\"=sent\" target=\"notifiedAt\" /></wf:ioMapping>",
                     "<wf:taskHeaders><wf:header key=\"language\" value=\"fr\" /></wf:taskHeaders>",
                 })
        {
            if (!await KeptAsync(page, written))
            {
                lost.Add(written);
            }
        }

        var saved = await XmlAsync(page);
        Assert.That(lost, Is.Empty, $"not in the XML:\n{saved}");

        await ReopenAsync(page, processId);
        await SelectAsync(page, "notify");
        var shown = new List<string>();
        foreach (var (entry, value) in new[] { ("wf-inputs-0-source", "=customer.email"), ("wf-inputs-1-target", "channel"), ("wf-inputs-1-source", "=preferredChannel"),
                     ("wf-outputs-0-target", "notifiedAt"), ("wf-headers-0-key", "language"), ("wf-headers-0-value", "fr") })
        {
            var group = entry[..entry.IndexOf('-', 3)];
            await DesignerPanelBrowserTests.OpenGroupAsync(page, group);
            await DesignerPanelBrowserTests.OpenItemAsync(page, entry[..entry.LastIndexOf('-')]);
            var now = await page.InputValueAsync($"#bio-properties-panel-{entry}");
            if (now != value)
            {
                shown.Add($"{entry}: '{now}', typed '{value}'");
            }
        }

        Assert.That(shown, Is.Empty, "what the reopened draft shows");
        Assert.That(await page.Locator("[data-group-id='group-wf-headers'] .bio-properties-panel-list-badge").InnerTextAsync(), Is.EqualTo("1"));
    }
}
