using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's element templates and token simulation in Debian's Chromium, headless, against the host on Kestrel: an
/// analyst turns a plain task of a blank diagram into the library's "Notify the customer" step from the panel's template
/// chooser, writes the message in the template's field, deploys, and an instance started over the API passes the step on
/// the library's handler; and walks the complaint journey with the simulation toggled from the toolbar until a token
/// reaches a task. No page logs an error. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class DesignerTemplatesBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/app/designer-steps.js", "/lib/designer/designer.js", "/lib/designer/designer.css"];

    private async Task<IPage> DesignerAsync()
    {
        var page = await OpenAsync("alice", "/designer");
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        return page;
    }

    private static Task<string> AppendAsync(IPage page, string source, string type) => DesignerPanelBrowserTests.AppendAsync(page, source, type);

    // review17 F8: the chooser stayed open for the task it was opened on, and picking a template there changed that task.
    [Test]
    public async Task The_template_chooser_closes_when_another_element_is_selected()
    {
        var page = await DesignerAsync();
        await page.WaitForFunctionAsync("() => window.wfDesigner.modeler.get('elementTemplates').getAll().length > 0");
        var first = await AppendAsync(page, "StartEvent_1", "bpmn:Task");
        var second = await AppendAsync(page, first, "bpmn:Task");
        await page.EvaluateAsync("id => window.wfDesigner.select(id)", first);
        await ExpectTextAsync(page, "[data-test=selected]", first);
        await page.ClickAsync("[data-group-id='group-ElementTemplates__Template'] .bio-properties-panel-select-template-button");
        var chooser = page.Locator("[data-test=template-chooser]");
        await Assertions.Expect(chooser).ToBeVisibleAsync();

        // (The chooser may lie over the other task on the canvas: selected as a finding's row or the keyboard selects it.)
        await page.EvaluateAsync("id => window.wfDesigner.select(id)", second);
        await ExpectTextAsync(page, "[data-test=selected]", second);
        await Assertions.Expect(chooser).ToHaveCountAsync(0);
        var types = await page.EvaluateAsync<string[]>("ids => ids.map(id => window.wfDesigner.modeler.get('elementRegistry').get(id).type)", new[] { first, second });
        Assert.That(types, Is.EqualTo(new[] { "bpmn:Task", "bpmn:Task" }));
    }

    [Test]
    public async Task A_task_made_from_a_library_template_in_the_panel_deploys_and_runs_on_the_librarys_handler()
    {
        var page = await DesignerAsync();
        await page.WaitForFunctionAsync("() => window.wfDesigner.modeler.get('elementTemplates').getAll().length > 0");

        await page.ClickAsync("#canvas .djs-container", new PageClickOptions { Position = new Position { X = 600, Y = 500 } });
        await ExpectTextAsync(page, "[data-test=selected]", "Process");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await DesignerPanelBrowserTests.SetAsync(page, "id", "templated-journey", "id=\"templated-journey\"");
        await page.CheckAsync("#bio-properties-panel-isExecutable");
        await DesignerPanelBrowserTests.WrittenAsync(page, "isExecutable=\"true\"");

        // A plain task: the panel's template header offers the templates that apply to it.
        var task = await AppendAsync(page, "StartEvent_1", "bpmn:Task");
        await page.ClickAsync("[data-group-id='group-ElementTemplates__Template'] .bio-properties-panel-select-template-button");
        var chooser = page.Locator("[data-test=template-chooser]");
        await Assertions.Expect(chooser).ToContainTextAsync("Book an appointment");
        await page.FillAsync("[data-test=template-search]", "notify");
        await Assertions.Expect(chooser.Locator("[data-template]")).ToHaveCountAsync(1);
        await chooser.Locator("[data-template='io.workflows.notify-customer']").ClickAsync();
        await Assertions.Expect(chooser).ToHaveCountAsync(0);
        await DesignerPanelBrowserTests.WrittenAsync(page, "zeebe:modelerTemplate=\"io.workflows.notify-customer\"");
        await ExpectTextAsync(page, "[data-test=selected]", "ServiceTask");

        // The template's own field: what the customer is told.
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "ElementTemplates__CustomProperties-settings");
        await page.Locator("[data-group-id='group-ElementTemplates__CustomProperties-settings']").GetByLabel("Message", new() { Exact = true })
            .FillAsync("Your complaint is registered.");
        await DesignerPanelBrowserTests.WrittenAsync(page, "value=\"Your complaint is registered.\"");
        await TestBrowser.ScreenshotAsync(page, "designer-templates");
        var step = await page.EvaluateAsync<string>("() => window.wfDesigner.modeler.get('selection').get()[0].id");
        await AppendAsync(page, step, "bpmn:EndEvent");

        await ExpectTextAsync(page, "[data-test=lint]", "Nothing to fix");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Deployed templated-journey version 1");

        var xml = await (await As("alice")).GetStringAsync(new Uri("/api/definitions/templated-journey/versions/1/xml", UriKind.Relative));
        var agent = await As("ann");
        var instance = await agent.StartAsync("templated-journey", new { customerId = "cust-77" });
        // The journey maps no branch: the operator of every branch inspects it, variables included.
        var central = await As("otto");
        var done = await Api.EventuallyAsync(async () =>
            await central.GetJsonAsync($"/api/instances/{instance}/inspection") is var i && i.GetProperty("instance").GetProperty("status").GetString() == "completed" ? i : default,
            "the instance completed");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(task, Is.Not.Empty);
            Assert.That(xml, Does.Contain("<zeebe:taskDefinition type=\"notify-customer\" retries=\"3\"")
                .And.Contain("<zeebe:header key=\"channel\" value=\"email\"")
                .And.Contain("<zeebe:input source=\"=customerId\" target=\"customerId\""));
            Assert.That(done.GetProperty("scope").GetProperty("variables").GetProperty("notificationId").GetString(), Does.StartWith("NOTE-email-"));
        }
    }

    [Test]
    public async Task The_toolbar_toggles_the_token_simulation_and_a_token_walks_the_complaint_to_a_task()
    {
        var page = await DesignerAsync();
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.EvaluateAsync("() => { window.wfTrace = []; window.wfDesigner.modeler.on('tokenSimulation.simulator.trace', e => e.element && window.wfTrace.push(e.action + ':' + e.element.id)); }");

        await page.ClickAsync("[data-test=simulate]");
        await Assertions.Expect(page.Locator("[data-test=simulate]")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator("#canvas .bjs-container.simulation, #canvas.simulation")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#deploy")).ToBeDisabledAsync();

        // The play button on the complaint's start event starts a token; the first task it enters is the history lookup.
        await page.ClickAsync(".djs-overlays[data-container-id='received'] .bts-context-pad");
        await page.WaitForFunctionAsync("() => window.wfTrace.includes('enter:check_history')");
        await TestBrowser.ScreenshotAsync(page, "designer-simulation");

        await page.ClickAsync("[data-test=simulate]");
        await Assertions.Expect(page.Locator("[data-test=simulate]")).ToHaveAttributeAsync("aria-pressed", "false");
        await Assertions.Expect(page.Locator("#deploy")).ToBeEnabledAsync();
        var trace = await page.EvaluateAsync<string[]>("() => window.wfTrace");
        Assert.That(trace, Does.Contain("exit:received").And.Contain("enter:check_history"));
    }
}
