using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

// The operations page's commands: an operator retries an incident, sets a variable, moves a token by clicking the
// diagram and cancels the instance by keyboard, each refusal showing the server's problem; a supervisor reads the same
// page with no command offered, and the server refuses the commands to a supervisor's token.
public sealed partial class BrowserTests
{
    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = name, Exact = true });

    // Before the board's test, which moves the clock a week.
    [Test, Order(6)]
    public async Task An_operator_retries_an_incident_sets_a_variable_moves_the_token_by_clicking_the_diagram_and_cancels_the_instance_by_keyboard()
    {
        var ann = await _host.As("ann");
        var key = "C-FIX-" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Without a customer id the history lookup stops with an incident.
        var id = await ann.StartAsync("complaint", new { }, businessKey: key);
        var page = await SignInAsync("otto");
        await page.WaitForURLAsync("**/operate", Committed);
        await page.ClickAsync($"tr[data-instance='{id}']");
        await page.WaitForSelectorAsync("[data-incident=check_history]");

        // Retry: the step runs again and fails again for the same cause; the incident retried is resolved.
        await page.ClickAsync("[role=tab][data-tab=incidents]");
        var retried = await page.GetAttributeAsync("[data-incident-row]", "data-incident-row");
        await Button(page, "Retry Look up earlier complaints").ClickAsync();
        await ExpectTextAsync(page, "[data-test=done]", "Retried Look up earlier complaints");
        await Assertions.Expect(page.Locator($"[data-incident-row='{retried}']")).ToHaveCountAsync(0);
        await page.ClickAsync("[role=tab][data-tab=history]");
        await ExpectTextAsync(page, "[data-test=history]", "incident-resolved");

        // Set variables: whose case it is is not an operator's to change (refused, with the server's problem shown); a note is.
        await Button(page, "Set variables").ClickAsync();
        await page.FillAsync("[data-test=variable-name]", "customerId");
        await page.FillAsync("[data-test=variable-value]", "cust-1001");
        await page.FillAsync("[data-test=reason]", "customer found by phone");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=problem]", "customerId");
        var refusedVariable = await page.TextContentAsync("[data-test=problem]");
        await page.FillAsync("[data-test=variable-name]", "note");
        await page.FillAsync("[data-test=variable-value]", "history looked up by hand");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=done]", "Set note.");
        await page.ClickAsync("[role=tab][data-tab=variables]");
        await ExpectTextAsync(page, "[data-test=variables]", "history looked up by hand");

        // Move the token by picking on the diagram: from the failing lookup, first to the start event (refused: the
        // server's reasons shown), then to the registration.
        await Button(page, "Move token").ClickAsync();
        await page.ClickAsync("g.djs-element[data-element-id='check_history']");
        await Assertions.Expect(page.Locator("[data-from=check_history]")).ToBeCheckedAsync();
        await page.ClickAsync("[data-test=pick-target]");
        await page.ClickAsync("g.djs-element[data-element-id='received']");
        await page.FillAsync("[data-test=reason]", "the history lookup is down: registered by hand");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=problem]", "The modification is refused");
        var refusedMove = await page.TextContentAsync("[data-test=problem]");
        await page.ClickAsync("g.djs-element[data-element-id='register']");
        await ExpectTextAsync(page, "[data-test=move-summary]", "activates Register and classify");
        var picked = (await page.GetAttributeAsync("g.djs-element[data-element-id='check_history']", "class"), await page.GetAttributeAsync("g.djs-element[data-element-id='register']", "class"));
        await TestBrowser.ScreenshotAsync(page, "operate-move");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=done]", "Moved from Look up earlier complaints to Register and classify");
        await Assertions.Expect(page.Locator("[data-tokens=register]")).ToHaveTextAsync("1");
        var lookupTokens = await page.Locator("[data-tokens=check_history]").CountAsync();
        var incidentMarkers = await page.Locator("[data-incident=check_history]").CountAsync();
        await page.ClickAsync("[role=tab][data-tab=history]");
        await ExpectTextAsync(page, "[data-test=history]", "the history lookup is down");

        // Cancel by keyboard: the button focused, Enter, the reason typed where the focus went, Tab to confirm, Enter.
        await Button(page, "Cancel instance").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-test=reason]")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("customer withdrew the complaint");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("[data-test=confirm]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await ExpectTextAsync(page, "[data-test=title]", "cancelled");
        await ExpectTextAsync(page, $"tr[data-instance='{id}']", "cancelled");
        await TestBrowser.ScreenshotAsync(page, "operate-commands");
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusedVariable, Does.Contain("400"));
            Assert.That(refusedMove, Does.Contain("received").Or.Contain("start event"), "each reason the server gave");
            Assert.That(picked.Item1, Does.Contain("wf-pick-from"));
            Assert.That(picked.Item2, Does.Contain("wf-pick-to"));
            Assert.That(lookupTokens, Is.Zero, "the token left the lookup");
            Assert.That(incidentMarkers, Is.Zero, "its incident went with it");
            Assert.That(instance.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(instance.GetProperty("history").EnumerateArray().Where(h => h.GetProperty("kind").GetString() == "instance-modified")
                .Select(h => (h.GetProperty("actor").GetString(), h.GetProperty("detail").GetString()?.Split(" | ")[0])),
                Is.EqualTo(new (string?, string?)[] { ("otto", "customer found by phone"), ("otto", "the history lookup is down: registered by hand"), ("otto", "customer withdrew the complaint") }));
            Assert.That(await page.Locator("[data-test=actions] button:disabled").CountAsync(), Is.EqualTo(3), "nothing to command on an ended instance");
        }
    }

    [Test, Order(7)]
    public async Task A_supervisor_reads_the_operations_page_with_no_command_offered_and_the_server_refuses_them_the_commands()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync("complaint", new { }, businessKey: "C-READ-" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var page = await SignInAsync("sofia");
        await page.GotoAsync("/operate");
        await page.ClickAsync($"tr[data-instance='{id}']");
        await page.WaitForSelectorAsync("[data-incident=check_history]");
        await page.ClickAsync("[role=tab][data-tab=incidents]");
        await ExpectTextAsync(page, "[data-test=incidents]", "customerId");
        await TestBrowser.ScreenshotAsync(page, "operate-supervisor");

        var sofia = await _host.As("sofia");
        var incident = (await sofia.GetJsonAsync("/api/incidents?max=200")).EnumerateArray().First(i => i.GetProperty("instanceId").GetString() == id).GetProperty("id").GetString();
        async Task<HttpStatusCode> Post(string path, object? body)
        {
            using var response = await sofia.PostAsJsonAsync(path, body);
            return response.StatusCode;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.Locator("[data-test=actions]").CountAsync(), Is.Zero, "no command buttons");
            Assert.That(await page.Locator("[data-test=read-only]").IsVisibleAsync(), Is.True);
            Assert.That(await page.Locator("[data-test=retry]").CountAsync(), Is.Zero, "no retry");
            Assert.That(await Post($"/api/incidents/{incident}/retry", null), Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await Post($"/api/instances/{id}/cancellation", new { reason = "x" }), Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await Post($"/api/instances/{id}/modification", new { reason = "x", variables = new[] { new { values = new { note = "x" } } } }), Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await Post("/api/batches", new { kind = "cancel", reason = "x", selection = new { instanceIds = new[] { id } } }), Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }
}
