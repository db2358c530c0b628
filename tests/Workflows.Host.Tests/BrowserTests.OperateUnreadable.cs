using Microsoft.Playwright;

namespace Workflows.Host.Tests;

// The operations page on an instance whose stored state cannot be read: the operator reads why in an alert above what
// its rows know, and cancels it from the page with a reason; the page then shows it cancelled.
public sealed partial class BrowserTests
{
    [Test, Order(8)]
    public async Task An_operator_is_alerted_that_an_instances_state_cannot_be_read_and_cancels_it_from_the_operations_page()
    {
        await (await _host.As("alice")).DeployAsync(UnreadableStates.AwaitingMessage("unreadable-operate"));
        var id = await (await _host.As("ann")).StartAsync("unreadable-operate", new { grp = "OP-PAGE" });
        await UnreadableStates.PoisonAsync(_host, id);

        var page = await SignInAsync("otto");
        await page.WaitForURLAsync("**/operate", Committed);
        await page.ClickAsync($"tr[data-instance='{id}']");
        await ExpectTextAsync(page, "[data-test=state-problem]", "Its stored state cannot be read");
        var alert = await page.TextContentAsync("[data-test=state-problem]");
        await Assertions.Expect(page.Locator("[data-wait='message:c']")).ToHaveCountAsync(1); // its message subscription, by its rows
        await TestBrowser.ScreenshotAsync(page, "operate-unreadable");

        await Button(page, "Cancel instance").ClickAsync();
        await page.FillAsync("[data-test=reason]", "state lost in a bad migration");
        await page.ClickAsync("[data-test=confirm]");
        await ExpectTextAsync(page, "[data-test=title]", "cancelled");
        await ExpectTextAsync(page, $"tr[data-instance='{id}']", "cancelled");
        var inspection = await (await _host.As("otto")).GetJsonAsync($"/api/instances/{id}/inspection");
        var ended = inspection.GetProperty("history").EnumerateArray().Last(h => h.GetProperty("kind").GetString() == "instance-cancelled");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(alert, Does.Contain("'evil'").And.Contain("retry its incident, or cancel the instance"));
            Assert.That(await page.GetAttributeAsync("[data-test=state-problem]", "role"), Is.EqualTo("alert"));
            Assert.That(ended.GetProperty("actor").GetString(), Is.EqualTo("otto"));
            Assert.That(ended.GetProperty("detail").GetString(), Does.StartWith("state lost in a bad migration | by its rows"));
            Assert.That(inspection.GetProperty("waitPoints").GetArrayLength(), Is.Zero);
        }
    }
}
