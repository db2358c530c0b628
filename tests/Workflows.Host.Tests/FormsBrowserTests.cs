using System.Net;
using System.Text.Json;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// Camunda Forms in Debian's Chromium, headless, against the host on Kestrel: an analyst designs a user task's form with
/// form-js's editor from the designer's panel and it is saved embedded in the diagram; an agent completes the library
/// complaint's survey rendered by form-js in the inbox; a customer answers it in the tracker on a 390×844 screen, reading
/// the journey's words for customers. Any error in a page's console fails the test. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class FormsBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/lib/designer/forms-viewer.js", "/lib/designer/forms-editor.js", "/lib/designer/designer.js"];

    /// <summary>A library complaint of carla's taken by the API to its satisfaction survey: its id and reference.</summary>
    private async Task<(string Id, string Reference)> ComplaintAtTheSurveyAsync(string summary)
    {
        var raised = await (await As("carla")).PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary } }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        await ComplaintSurvey.ReachAsync(Host, id);
        return (id, raised.GetProperty("businessKey").GetString()!);
    }

    [Test]
    public async Task An_analyst_designs_a_user_tasks_form_with_form_js_and_it_is_saved_embedded_in_the_diagram()
    {
        var page = await OpenAsync("alice", "/designer");
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.EvaluateAsync("() => window.wfDesigner.select('survey')");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-camunda-form");
        await ExpectTextAsync(page, "[data-test=form-summary]", "A Camunda Form embedded as complaint_survey_form");

        await page.ClickAsync("[data-test=form-design]");
        var comment = page.Locator("[data-test=form-designer] .fjs-element[data-id=survey_comment]");
        await comment.ClickAsync();
        await page.Locator("[data-test=form-panel] .bio-properties-panel-group-header").GetByText("General").ClickAsync();
        var label = page.Locator("[data-test=form-panel] #bio-properties-panel-label");
        await label.FillAsync("Anything else you want to tell us?");
        await label.PressAsync("Tab");
        // The editor's panel writes a typed value after a short delay: the form shows the label once it has landed.
        await Assertions.Expect(page.Locator("[data-test=form-editor] .fjs-element[data-id=survey_comment]")).ToContainTextAsync("Anything else you want to tell us?");
        await TestBrowser.ScreenshotAsync(page, "designer-form-js");
        await page.ClickAsync("[data-test=form-save]");
        await Assertions.Expect(page.Locator("[data-test=form-designer]")).ToHaveCountAsync(0);

        var xml = await page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");
        var document = System.Xml.Linq.XDocument.Parse(xml);
        var form = document.Descendants(System.Xml.Linq.XName.Get("userTaskForm", "http://camunda.org/schema/zeebe/1.0")).Single();
        var schema = JsonDocument.Parse(form.Value).RootElement;
        using var validate = await (await As("alice")).PostAsync(new Uri("/api/definitions/validate", UriKind.Relative), new StringContent(xml, System.Text.Encoding.UTF8, "application/xml"));
        var findings = await validate.JsonAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((string?)form.Attribute("id"), Is.EqualTo("complaint_survey_form"));
            Assert.That(schema.GetProperty("components").EnumerateArray().Select(c => c.TryGetProperty("label", out var l) ? l.GetString() : null),
                Does.Contain("Anything else you want to tell us?").And.Contain("Satisfaction (1 to 5)"));
            Assert.That(xml, Does.Contain("formKey=\"camunda-forms:bpmn:complaint_survey_form\""));
            Assert.That(findings.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()), Has.None.StartsWith("FORM_"), findings.ToString());
        }

        // Undo takes the whole save back in one step.
        await page.EvaluateAsync("() => window.wfDesigner.modeler.get('commandStack').undo()");
        Assert.That(await page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml"), Does.Not.Contain("Anything else you want to tell us?"));
    }

    [Test]
    public async Task An_agent_completes_a_camunda_form_rendered_by_form_js_in_the_inbox()
    {
        var (id, _) = await ComplaintAtTheSurveyAsync("the inbox's survey");
        var survey = await (await As("ann")).TaskAsync(id, "survey");
        var page = await OpenAsync("ann", "/inbox");
        await page.ClickAsync($"[data-task=\"{survey}\"]");
        var form = page.Locator("[data-test=task-form]");
        var score = form.GetByLabel("Satisfaction (1 to 5)");
        await score.FillAsync("9");
        await page.ClickAsync("[data-test=task] [data-test=complete]");
        await ExpectTextAsync(page, "[data-test=task-message]", "need your attention");

        await score.FillAsync("4");
        await TestBrowser.ScreenshotAsync(page, "inbox-form-js");
        await page.ClickAsync("[data-test=task] [data-test=complete]");
        await ExpectTextAsync(page, "[data-test=next-thing]", "Nothing else");

        var instance = await (await As("sofia")).GetJsonAsync($"/api/instances/{id}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(instance.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(instance.GetProperty("variables").GetProperty("satisfaction").GetDecimal(), Is.EqualTo(4m), "the form's score reached the journey");
        }
    }

    [Test]
    public async Task A_customer_answers_the_survey_in_the_tracker_on_a_390_pixel_screen_in_the_journeys_words()
    {
        var (id, reference) = await ComplaintAtTheSurveyAsync("the tracker's survey");
        var page = await OpenAsync("carla", "/tracker", width: 390, height: 844);
        await page.ClickAsync($"[data-test=cases] tr[data-case=\"{reference}\"]");
        await ExpectTextAsync(page, "[data-test=in-progress]", "Tell us how we did");
        await ExpectTextAsync(page, "[data-test=steps]", "Understanding your complaint");
        var question = page.Locator("[data-test=question]");
        await Assertions.Expect(question).ToContainTextAsync("How did we handle your complaint?");
        var caseText = await page.Locator("[data-test=case]").InnerTextAsync();
        await page.GetByLabel("Satisfaction (1 to 5)").FillAsync("5");
        await page.GetByLabel("Comment").FillAsync("all good");
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, Math.ceil(document.querySelector('[data-test=question]').getBoundingClientRect().right), Math.ceil(document.querySelector('[data-test=question-send]').getBoundingClientRect().right)]");
        await TestBrowser.ScreenshotAsync(page, "tracker-390-survey");
        await page.ClickAsync("[data-test=question-send]");
        await ExpectTextAsync(page, "[data-test=case-status]", "closed");

        var instance = await (await As("sofia")).GetJsonAsync($"/api/instances/{id}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(widths, Has.All.LessThanOrEqualTo(390), "nothing wider than the phone's screen (page, question, its button)");
            Assert.That(caseText, Does.Not.Contain("Register and classify").And.Not.Contain("Satisfaction survey").And.Not.Contain("Resolve at the front desk"), "never an internal step name");
            Assert.That(instance.GetProperty("variables").GetProperty("satisfaction").GetDecimal(), Is.EqualTo(5m));
            Assert.That(await page.Locator("[data-test=steps]").InnerTextAsync(), Does.Contain("Tell us how we did"));
        }
    }
}
