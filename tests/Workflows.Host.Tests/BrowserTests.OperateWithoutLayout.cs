using System.Net;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

// The operations page on a journey whose BPMN file has no layout (no diagram interchange): the steps are listed with
// their tokens and incidents, every tab and command still works, a refused move says each reason once; and the demo
// job worker, who has no page, lands on a page saying what a worker token is for instead of going round the sign-in.
public sealed partial class BrowserTests
{
    private const string Unlaid = "unlaid-journey";

    [Test, Order(8)]
    public async Task An_instance_of_a_model_without_a_diagram_shows_its_steps_tokens_tabs_and_every_command_with_a_note_that_there_is_no_diagram()
    {
        await (await _host.As("alice")).DeployAsync($"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="{Unlaid}" name="Unlaid journey" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
                <bpmn:startEvent id="s" name="Asked"/>
                <bpmn:serviceTask id="call" name="Call the bureau"><bpmn:extensionElements><zeebe:taskDefinition type="{Unlaid}-bureau"/></bpmn:extensionElements></bpmn:serviceTask>
                <bpmn:userTask id="review" name="Review by hand"/><bpmn:endEvent id="e" name="Done"/>
                <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="review"/><bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e"/>
              </bpmn:process>
            </bpmn:definitions>
            """);
        var id = await (await _host.As("ann")).StartAsync(Unlaid, new { customerId = "cust-1001" });
        var worker = _host.WithToken(("sub", "bureau-bot"), ("role", "worker"), ("branch", "paris-01"));
        var job = (await worker.PostJsonAsync("/api/jobs/activation", new { type = $"{Unlaid}-bureau" })).GetProperty("jobs")[0].GetProperty("id").GetString();
        await worker.PostJsonAsync($"/api/jobs/{job}/failure", new { retries = 0, errorMessage = "bureau down" }, HttpStatusCode.NoContent);

        var page = await SignInAsync("otto");
        await page.WaitForURLAsync("**/operate", Committed);
        await page.ClickAsync($"tr[data-instance='{id}']");
        await ExpectTextAsync(page, "[data-test=no-diagram-note]", "has no diagram");
        await Assertions.Expect(page.Locator("[data-test=diagram]")).ToBeHiddenAsync();
        await ExpectTextAsync(page, "tr[data-element=call]", "Call the bureau");
        await Assertions.Expect(page.Locator("[data-tokens=call]")).ToHaveTextAsync("1");
        await ExpectTextAsync(page, "[data-incident=call]", "bureau down");
        await ExpectTextAsync(page, "[data-test=waits]", "waits for nothing"); // the failed job is an incident now, not a wait
        await page.ClickAsync("[role=tab][data-tab=variables]");
        await ExpectTextAsync(page, "[data-test=variables]", "cust-1001");
        await page.ClickAsync("[role=tab][data-tab=incidents]");
        await ExpectTextAsync(page, "[data-test=incidents]", "bureau down");
        await page.ClickAsync("[role=tab][data-tab=history]");
        await ExpectTextAsync(page, "[data-test=history]", "incident-raised");
        await TestBrowser.ScreenshotAsync(page, "operate-without-diagram");

        // Move the token with the panel's lists: first to the start event (refused, each reason once), then to the review.
        await Button(page, "Move token").ClickAsync();
        await page.CheckAsync("[data-from=call]");
        await page.ClickAsync("[data-test=pick-target]");
        await page.SelectOptionAsync("[data-test=move-to]", "s");
        await page.FillAsync("[data-test=reason]", "the bureau is down: reviewed by hand");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=problem]", "The modification is refused");
        var refusal = await page.Locator("[data-test=problem] li").AllTextContentsAsync();
        var refusalText = await page.TextContentAsync("[data-test=problem]") ?? "";
        await page.SelectOptionAsync("[data-test=move-to]", "review");
        await ExpectTextAsync(page, "[data-test=move-summary]", "activates Review by hand");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=done]", "Moved from Call the bureau to Review by hand");
        await Assertions.Expect(page.Locator("[data-tokens=review]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("[data-tokens=call]")).ToHaveTextAsync("0");

        // Set a variable, then cancel: both commands there without a diagram.
        await Button(page, "Set variables").ClickAsync();
        await page.FillAsync("[data-test=variable-name]", "note");
        await page.FillAsync("[data-test=variable-value]", "bureau called back");
        await page.FillAsync("[data-test=reason]", "noted by phone");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=done]", "Set note.");
        await Button(page, "Cancel instance").ClickAsync();
        await page.FillAsync("[data-test=reason]", "customer withdrew");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=title]", "cancelled");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusal, Is.Not.Empty, "the server's reasons are listed");
            foreach (var reason in refusal)
            {
                Assert.That(refusalText.Split(reason).Length - 1, Is.EqualTo(1), $"said once: {refusalText}");
            }
        }
    }

    [Test, Order(8)]
    public async Task The_demo_job_worker_lands_on_a_page_saying_what_a_worker_token_is_for_not_back_on_the_sign_in()
    {
        var page = await SignInAsync("walt");
        await page.WaitForURLAsync("**/account", Committed);
        await ExpectTextAsync(page, "[data-test=account-who]", "walt");
        await ExpectTextAsync(page, "[data-test=account-roles]", "A worker token is for a program");
        await ExpectTextAsync(page, "[data-test=account-roles]", "/api/jobs/activation");
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/account", Committed);
        await page.GotoAsync("/inbox");
        await ExpectTextAsync(page, "body", "This page is for the agent role");
        var back = await page.GetAttributeAsync("a:text('Go to your page')", "href");

        Assert.That(back, Is.EqualTo("/account"), "the way back leads to the worker's page, not to the sign-in");
    }
}
