using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer at the edges of its drafts, in Debian's Chromium, headless, against the host on Kestrel (review17 F3, F4,
/// F7, F8, F9, F10): a journey built from a blank diagram is compared, planned and filed under the id it has now; an
/// edit made while a deployment is on its way stays unsaved; a draft deleted elsewhere leaves the edits a way to a new
/// draft; a model without a diagram, or a file that does not parse, is refused with its reason and the open diagram
/// keeps its draft; Validate and Deploy of a model over the size limit answer with the limit, never "ready to deploy".
/// </summary>
[NonParallelizable]
public sealed class DesignerDraftsEdgeBrowserTests : BrowserFixture
{
    // The refusals these tests ask for: a save to a deleted draft, a model over the size limit.
    private static readonly Regex ExpectedRefusal = new("status of (404|413)", RegexOptions.CultureInvariant);

    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/app/designer-drafts.js", "/app/designer-open.js", "/app/designer-compare.js",
        "/lib/designer/designer.js", "/lib/designer/designer.css", "/lib/bpmn-js/bpmn-navigated-viewer.production.min.js"];

    private async Task<IPage> DesignerAsync(string? journey = "complaint")
    {
        var page = await OpenAsync("alice", "/designer", tolerated: ExpectedRefusal.IsMatch);
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        if (journey is not null)
        {
            await page.SelectOptionAsync("[data-test=library]", journey);
            await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync($"{journey} open");
        }

        return page;
    }

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    // An edit as the panel makes it (one command on the stack), without the panel's timing.
    private static Task RenameAsync(IPage page, string element, string name) => page.EvaluateAsync(
        "([id, name]) => { const m = window.wfDesigner.modeler; m.get('modeling').updateProperties(m.get('elementRegistry').get(id), { name }); }", new[] { element, name });

    private static async Task SetProcessIdAsync(IPage page, string id)
    {
        await page.ClickAsync("#canvas .djs-container", new PageClickOptions { Position = new Position { X = 700, Y = 600 } });
        await ExpectTextAsync(page, "[data-test=selected]", "Process");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await DesignerPanelBrowserTests.SetAsync(page, "id", id, $"id=\"{id}\"");
    }

    private async Task<System.Text.Json.JsonElement> DraftAsync(string processId)
    {
        var alice = await As("alice");
        var id = (await alice.GetJsonAsync("/api/drafts")).EnumerateArray().First(d => d.GetProperty("processId").GetString() == processId).GetProperty("id").GetString();
        return await alice.GetJsonAsync($"/api/drafts/{id}");
    }

    private const string Unlaid = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
          <bpmn:process id="unlaid_edge" name="Written by hand" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process>
        </bpmn:definitions>
        """;

    [Test, Order(1)]
    public async Task A_journey_built_from_blank_is_filed_compared_and_planned_under_the_id_the_diagram_has_now()
    {
        var page = await DesignerAsync(journey: null);
        await SetProcessIdAsync(page, "blank_built");
        await page.CheckAsync("#bio-properties-panel-isExecutable");
        await DesignerPanelBrowserTests.WrittenAsync(page, "isExecutable=\"true\"");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=status]", "“blank_built” saved on the server");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Deployed blank_built version 1");

        await page.ClickAsync("[data-test=compare]");
        await Assertions.Expect(page.Locator("[data-test=changes]")).ToHaveTextAsync(new Regex("^(No difference|Layout only)"));
        await page.ClickAsync("[data-test=rollouts-open]");
        await Assertions.Expect(page.Locator("[data-test=lifecycle] tr[data-version='1']")).ToBeVisibleAsync();
        var planTitle = await page.TextContentAsync("[data-test=side-title]");

        // Renamed in the panel: the versions offered are the new id's (none yet) until it is deployed under it.
        await page.ClickAsync("[data-test=side-close]");
        await SetProcessIdAsync(page, "blank_renamed");
        await Assertions.Expect(page.Locator("[data-test=compare-from] option")).ToHaveCountAsync(0);
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=status]", "open a deployed journey to compare");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Deployed blank_renamed version 1");
        await Assertions.Expect(page.Locator("[data-test=compare-from] option")).ToHaveCountAsync(1);
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved");
        var draft = await DraftAsync("blank_renamed");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(planTitle, Does.StartWith("blank_built"));
            Assert.That(draft.GetProperty("name").GetString(), Is.EqualTo("blank_built"), "the draft keeps its name, filed under the process's new id");
            Assert.That(draft.GetProperty("xml").GetString(), Does.Contain("id=\"blank_renamed\""));
        }
    }

    [Test, Order(2)]
    public async Task An_edit_made_while_the_deployment_is_on_its_way_stays_unsaved()
    {
        var page = await DesignerAsync();
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answerHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/definitions", async route =>
        {
            if (route.Request.Method == "POST")
            {
                sent.TrySetResult();
                await answerHeld.Task;
            }

            await route.ContinueAsync();
        });
        await RenameAsync(page, "register", "first edit");
        await ExpectTextAsync(page, "[data-test=draft-state]", "not saved");
        await page.ClickAsync("#deploy");
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await RenameAsync(page, "register", "SECOND EDIT typed during deploy");
        answerHeld.SetResult();
        await ExpectTextAsync(page, "[data-test=status]", "Deployed complaint version 2");
        var deployed = await (await As("alice")).GetStringAsync(new Uri("/api/definitions/complaint/versions/2/xml", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed, Does.Contain("name=\"first edit\"").And.Not.Contain("SECOND EDIT"));
            Assert.That(await page.TextContentAsync("[data-test=draft-state]"), Is.EqualTo("not saved"), "the second edit is saved nowhere yet");
            Assert.That(await XmlAsync(page), Does.Contain("SECOND EDIT typed during deploy"));
        }
    }

    [Test, Order(3)]
    public async Task A_draft_deleted_elsewhere_leaves_its_edits_a_way_to_a_new_draft()
    {
        var page = await DesignerAsync();
        await RenameAsync(page, "register", "before the delete");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved (r1)");
        var alice = await As("alice");
        var draft = (await alice.GetJsonAsync("/api/drafts")).EnumerateArray().Single(d => d.GetProperty("processId").GetString() == "complaint");
        using (var deleted = await alice.DeleteAsync(new Uri($"/api/drafts/{draft.GetProperty("id").GetString()}", UriKind.Relative)))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        await RenameAsync(page, "register", "after the delete");
        await ExpectTextAsync(page, "[data-test=draft-state]", "not saved: draft deleted elsewhere");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=status]", "saved on the server");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved (r1)");
        var again = await DraftAsync("complaint");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.GetProperty("id").GetString(), Is.Not.EqualTo(draft.GetProperty("id").GetString()), "a new draft");
            Assert.That(again.GetProperty("name").GetString(), Is.EqualTo(draft.GetProperty("name").GetString()), "named as the one deleted");
            Assert.That(again.GetProperty("xml").GetString(), Does.Contain("name=\"after the delete\""));
        }
    }

    [Test, Order(4)]
    public async Task A_model_without_a_diagram_or_a_file_that_does_not_parse_is_refused_and_the_open_diagram_keeps_its_draft()
    {
        await (await As("alice")).DeployAsync(Unlaid);
        var unlaidDraft = (await (await As("alice")).PostJsonAsync("/api/drafts", new { name = "hand written", xml = Unlaid, processId = "unlaid_edge" }, HttpStatusCode.Created)).GetProperty("id").GetString();
        var page = await DesignerAsync();
        await RenameAsync(page, "register", "kept through refusals");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved (r1)");

        await page.SelectOptionAsync("[data-test=library]", "unlaid_edge");
        await ExpectTextAsync(page, "[data-test=status]", "unlaid_edge not opened: the model has no diagram");
        var menu = await page.InputValueAsync("[data-test=library]");
        await page.SelectOptionAsync("[data-test=library]", $"draft:{unlaidDraft}");
        await ExpectTextAsync(page, "[data-test=status]", "Draft not opened: the model has no diagram");
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "notes.bpmn", MimeType = "application/xml", Buffer = "abc"u8.ToArray() });
        await ExpectTextAsync(page, "[data-test=status]", "notes.bpmn not opened: the model is not a BPMN document the designer can read");
        var stillThere = await XmlAsync(page);
        var selected = await page.TextContentAsync("[data-test=selected]");

        // Still attached to its draft: the next edit is saved to it.
        await RenameAsync(page, "register", "and saved again");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved (r2)");
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=status]", "saved (revision 2)");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(menu, Is.Empty, "the menu does not name the journey that was not opened");
            Assert.That(stillThere, Does.Contain("name=\"kept through refusals\"").And.Contain("id=\"complaint\""));
            Assert.That(selected, Does.Not.Contain("unlaid"));
            Assert.That((await DraftAsync("complaint")).GetProperty("xml").GetString(), Does.Contain("and saved again"));
        }
    }

    [Test, Order(5)]
    public async Task Validate_and_deploy_of_a_model_over_the_size_limit_answer_with_the_limit()
    {
        var xml = await (await As("alice")).GetStringAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative));
        // A long documentation: 2.2 MB, above MaxBpmnBytes (2 MiB by default) and within MaxRequestBytes.
        var large = Regex.Replace(xml, "(<bpmn:userTask id=\"register\"[^>]*>)", m => m.Value + $"<bpmn:documentation>{new string('x', 2_200_000)}</bpmn:documentation>");
        Assert.That(large, Has.Length.GreaterThan(2_200_000));
        var page = await DesignerAsync(journey: null);
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "large.bpmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(large) });
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");

        await page.ClickAsync("#validate");
        await ExpectTextAsync(page, "[data-test=status]", "Not validated: the BPMN document of");
        var validated = await page.TextContentAsync("[data-test=status]");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "Not deployed: the BPMN document of");
        var findings = await page.TextContentAsync("[data-test=server-findings]");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(validated, Does.Contain("above the limit of 2,097,152"));
            Assert.That(findings, Does.Contain("Not deployed").And.Not.Contain("ready to deploy"));
        }
    }
}
