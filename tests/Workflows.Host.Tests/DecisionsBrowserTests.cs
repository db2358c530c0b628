using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The decisions page (dmn-js) in Debian's Chromium, headless, against the host on Kestrel: an analyst opens the journey
/// library's approval-level table from the deployed list, raises a threshold cell by cell, sees the server find nothing,
/// compares the edit with the deployed version beside the table (which keeps the edit), deploys it as a new version and
/// the API evaluates the new threshold; a file with a requirement diagram, a table and a literal expression is opened,
/// its version tag set in the properties panel, a broken cell found by the server and the fixed document deployed.
/// No page logs an error. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class DecisionsBrowserTests : BrowserFixture
{
    private bool _refusalExpected;

    private protected override IReadOnlyList<string> Warm { get; } = ["/app/decisions.js", "/app/decisions-compare.js", "/app/decisions-findings.js", "/lib/designer/decisions.js", "/lib/designer/decisions.css"];

    private async Task<IPage> DecisionsPageAsync()
    {
        _refusalExpected = false;
        // Chromium logs every answer in 4xx; the deployment a test expects to be refused is not an error of the page.
        var page = await OpenAsync("alice", "/decisions", tolerated: text => _refusalExpected && text.Contains("status of 422", StringComparison.Ordinal));
        await ExpectTextAsync(page, "[data-test=status]", "a new decision");
        return page;
    }

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDecisions.modeler.saveXML({ format: true })).xml");

    // Polled from here: WaitForFunction takes the promise an async predicate returns for a truthy answer at once.
    private static async Task WrittenAsync(IPage page, string written)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!(await page.EvaluateAsync<string>("async () => (await window.wfDecisions.modeler.saveXML()).xml")).Contains(written, StringComparison.Ordinal))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), $"the decisions' XML never held {written}");
            await Task.Delay(100);
        }
    }

    // Replaces the text of a decision table's cell as an analyst does: a click opens the cell's FEEL editor (CodeMirror),
    // the old text is selected and the new one put in its place (inserted whole, as a paste: typed key by key, the
    // editor would close each bracket itself), and leaving the cell writes it into the model.
    private static async Task EditCellAsync(IPage page, string rowId, string columnId, string text, string written)
    {
        var cell = page.Locator($"td[data-row-id='{rowId}'][data-col-id='{columnId}']");
        await cell.ClickAsync();
        await cell.Locator(".cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync(text);
        await page.Locator("[data-test=status]").ClickAsync();
        await WrittenAsync(page, written);
        await ExpectTextAsync(page, $"td[data-row-id='{rowId}'][data-col-id='{columnId}']", text);
    }

    [Test]
    public async Task An_analyst_raises_a_threshold_of_the_library_table_compares_it_and_deploys_a_version_the_API_evaluates()
    {
        const string decision = "claim-approval-level";
        var analyst = await As("alice");
        var before = (await analyst.GetJsonAsync($"/api/decisions/{decision}")).EnumerateArray().Max(v => v.GetProperty("version").GetInt32());
        var page = await DecisionsPageAsync();

        await page.SelectOptionAsync("[data-test=open]", decision);
        await ExpectTextAsync(page, "[data-test=status]", $"{decision} open from the deployed list");
        await ExpectTextAsync(page, $"[data-test=views] button.active[data-view='{decision}']", "Approval level · table");
        await ExpectTextAsync(page, "td[data-row-id='claim_approval_handler'][data-col-id='claim_approval_amount']", "<= 1000");
        await ExpectTextAsync(page, "[data-test=versions]", $"Versions of {decision}");
        await page.ClickAsync("[data-test=deploy]");
        await ExpectTextAsync(page, "[data-test=status]", $"Deployed {decision} version {before} (unchanged)");

        await EditCellAsync(page, "claim_approval_handler", "claim_approval_amount", "<= 2000", "&lt;= 2000");
        await EditCellAsync(page, "claim_approval_lead", "claim_approval_amount", "(2000..10000]", "(2000..10000]");

        await page.ClickAsync("[data-test=validate]");
        await ExpectTextAsync(page, "[data-test=status]", "valid");
        await ExpectTextAsync(page, "[data-test=server-findings]", "No findings");

        // Side by side: the deployed version against the edited model, cell by cell; closing it keeps the edit.
        await page.SelectOptionAsync("[data-test=compare-from]", before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.SelectOptionAsync("[data-test=compare-to]", "edited");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=changes]", "2 changes");
        await ExpectTextAsync(page, "[data-test=change-list]", "rule 1 (claim_approval_handler), Assessed amount: “<= 1000” → “<= 2000”");
        await ExpectTextAsync(page, "[data-test=change-list]", "rule 2 (claim_approval_lead), Assessed amount: “(1000..10000]” → “(2000..10000]”");
        await Assertions.Expect(page.Locator("[data-test=compare-tables] td.wf-cell-changed")).ToHaveCountAsync(4);
        await TestBrowser.ScreenshotAsync(page, "decisions-compare");
        await page.ClickAsync("[data-test=side-close]");
        Assert.That(await XmlAsync(page), Does.Contain("&lt;= 2000").And.Contain("(2000..10000]"), "the comparison kept the edits");

        await page.ClickAsync("[data-test=deploy]");
        await ExpectTextAsync(page, "[data-test=status]", $"Deployed {decision} version {before + 1}");
        await ExpectTextAsync(page, $"[data-test=versions] tr[data-version='{before + 1}']", "deployed");
        await Assertions.Expect(page.Locator($"[data-test=open] option[value='{decision}']")).ToContainTextAsync($"(v{before + 1}, deployed)");
        await TestBrowser.ScreenshotAsync(page, "decisions-table-deployed");

        // Without a version an analyst evaluates the standard (which a deploy does not move), so the new one is named.
        var edited = await analyst.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { assessedAmount = 1500 }, version = before + 1 });
        var old = await analyst.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { assessedAmount = 1500 }, version = before });
        Assert.Multiple(() =>
        {
            Assert.That((edited.GetProperty("version").GetInt32(), edited.GetProperty("value").GetString()), Is.EqualTo((before + 1, "handler")), "the new threshold took effect");
            Assert.That(edited.GetProperty("decisions")[0].GetProperty("matchedRules")[0].GetProperty("ruleId").GetString(), Is.EqualTo("claim_approval_handler"));
            Assert.That((old.GetProperty("version").GetInt32(), old.GetProperty("value").GetString()), Is.EqualTo((before, "lead")), "the deployed version before is unchanged");
        });

        // The page's own try-out evaluates the version chosen: the new one gives the handler.
        await page.SelectOptionAsync("[data-test=compare-from]", (before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("[data-test=try-context]", """{ "assessedAmount": 1500 }""");
        await page.ClickAsync("[data-test=try-run]");
        await ExpectTextAsync(page, "[data-test=try-result]", $"v{before + 1} = \"handler\"");
    }

    // A requirement graph: the tier is input data, the discount a FIRST table on it, the text a literal expression
    // that requires the discount; drawn (DMNDI) with its requirements.
    private static string Discounts(string suffix) => $$"""
        <?xml version="1.0" encoding="UTF-8"?>
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
                     xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" xmlns:di="http://www.omg.org/spec/DMN/20180521/DI/"
                     id="discounts_{{suffix}}" name="Discounts" namespace="urn:test">
          <inputData id="tier_{{suffix}}" name="tier"><variable id="tier_variable_{{suffix}}" name="tier" typeRef="string"/></inputData>
          <decision id="discount-{{suffix}}" name="Discount">
            <variable id="discount_variable_{{suffix}}" name="Discount" typeRef="number"/>
            <informationRequirement id="needs_tier_{{suffix}}"><requiredInput href="#tier_{{suffix}}"/></informationRequirement>
            <decisionTable id="discount_table_{{suffix}}" hitPolicy="FIRST">
              <input id="discount_tier_{{suffix}}" label="Tier"><inputExpression id="discount_tier_expression_{{suffix}}" typeRef="string"><text>tier</text></inputExpression></input>
              <output id="discount_rate_{{suffix}}" name="rate" typeRef="number"/>
              <rule id="gold_{{suffix}}"><inputEntry id="gold_in_{{suffix}}"><text>"gold"</text></inputEntry><outputEntry id="gold_out_{{suffix}}"><text>0.1</text></outputEntry></rule>
              <rule id="other_{{suffix}}"><inputEntry id="other_in_{{suffix}}"><text>-</text></inputEntry><outputEntry id="other_out_{{suffix}}"><text>0</text></outputEntry></rule>
            </decisionTable>
          </decision>
          <decision id="discount-text-{{suffix}}" name="Discount text">
            <variable id="text_variable_{{suffix}}" name="Discount text" typeRef="string"/>
            <informationRequirement id="needs_discount_{{suffix}}"><requiredDecision href="#discount-{{suffix}}"/></informationRequirement>
            <literalExpression id="text_expression_{{suffix}}"><text>"discount " + string(Discount * 100) + " %"</text></literalExpression>
          </decision>
          <dmndi:DMNDI>
            <dmndi:DMNDiagram id="discounts_diagram_{{suffix}}">
              <dmndi:DMNShape id="tier_shape_{{suffix}}" dmnElementRef="tier_{{suffix}}"><dc:Bounds x="160" y="320" width="125" height="45"/></dmndi:DMNShape>
              <dmndi:DMNShape id="discount_shape_{{suffix}}" dmnElementRef="discount-{{suffix}}"><dc:Bounds x="130" y="160" width="180" height="80"/></dmndi:DMNShape>
              <dmndi:DMNShape id="text_shape_{{suffix}}" dmnElementRef="discount-text-{{suffix}}"><dc:Bounds x="130" y="10" width="180" height="80"/></dmndi:DMNShape>
              <dmndi:DMNEdge id="needs_tier_edge_{{suffix}}" dmnElementRef="needs_tier_{{suffix}}"><di:waypoint x="222" y="320"/><di:waypoint x="220" y="240"/></dmndi:DMNEdge>
              <dmndi:DMNEdge id="needs_discount_edge_{{suffix}}" dmnElementRef="needs_discount_{{suffix}}"><di:waypoint x="220" y="160"/><di:waypoint x="220" y="90"/></dmndi:DMNEdge>
            </dmndi:DMNDiagram>
          </dmndi:DMNDI>
        </definitions>
        """;

    [Test]
    public async Task A_requirement_graph_from_a_file_is_tagged_in_the_panel_its_literal_edited_a_broken_cell_found_and_the_fixed_graph_deployed()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (discount, text) = ("discount-" + suffix, "discount-text-" + suffix);
        var page = await DecisionsPageAsync();

        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "discounts.dmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(Discounts(suffix).Trim()) });
        await ExpectTextAsync(page, "[data-test=status]", $"{discount} open from discounts.dmn");
        await ExpectTextAsync(page, "[data-test=views] button.active[data-view='drd']", "Requirements");
        await ExpectTextAsync(page, $"[data-test=views] button[data-view='{discount}']", "Discount · table");
        await ExpectTextAsync(page, $"[data-test=views] button[data-view='{text}']", "Discount text · literal expression");
        await ExpectTextAsync(page, "[data-test=versions]", "Not deployed yet");

        // The requirement diagram's properties panel: the discount's version tag, as Camunda 8 writes it.
        await page.ClickAsync($"#canvas .djs-element[data-element-id='{discount}']");
        await ExpectTextAsync(page, "[data-test=selected]", $"Decision · {discount}");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await page.FillAsync("#bio-properties-panel-versionTag", "2026-12");
        await WrittenAsync(page, "<zeebe:versionTag value=\"2026-12\"");
        await TestBrowser.ScreenshotAsync(page, "decisions-requirements");

        // The literal expression's own editor.
        await page.ClickAsync($"[data-test=views] button[data-view='{text}']");
        var literal = page.Locator("#canvas .dmn-literal-expression-container .cm-content");
        await literal.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync("\"rebate \" + string(Discount * 100) + \" %\"");
        await page.Locator("[data-test=status]").ClickAsync();
        await WrittenAsync(page, "\"rebate \" + string(Discount * 100)");

        // A cell that does not parse: the server's finding, a click on it opens the table it is in.
        await page.ClickAsync($"[data-test=views] button[data-view='{discount}']");
        await EditCellAsync(page, "gold_" + suffix, "discount_tier_" + suffix, "<= (", "&lt;= (");
        await page.ClickAsync($"[data-test=views] button[data-view='{text}']");
        await page.ClickAsync("[data-test=validate]");
        await ExpectTextAsync(page, "[data-test=status]", "has errors");
        await Assertions.Expect(page.Locator("[data-test=server-findings] tr[data-finding='DMN_FEEL_SYNTAX']")).ToHaveAttributeAsync("data-place", "rule 1, input 1");
        await page.ClickAsync("[data-test=server-findings] tr[data-finding='DMN_FEEL_SYNTAX']");
        await ExpectTextAsync(page, $"[data-test=views] button.active[data-view='{discount}']", "Discount · table");
        // The finding marked on the cell it is about, its message on the cell; the other cells unmarked.
        var marked = page.Locator($"td[data-row-id='gold_{suffix}'][data-col-id='discount_tier_{suffix}']");
        await Assertions.Expect(marked).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("wf-finding-error"));
        var markedTitle = await marked.GetAttributeAsync("title");
        var markedCells = await page.Locator("#canvas .wf-finding").CountAsync();
        await TestBrowser.ScreenshotAsync(page, "decisions-finding");
        _refusalExpected = true;
        await page.ClickAsync("[data-test=deploy]");
        await ExpectTextAsync(page, "[data-test=status]", "Not deployed");
        _refusalExpected = false;

        await EditCellAsync(page, "gold_" + suffix, "discount_tier_" + suffix, "\"gold\"", "\"gold\"");
        await page.ClickAsync("[data-test=deploy]");
        await ExpectTextAsync(page, "[data-test=status]", $"Deployed {discount} version 1, {text} version 1");

        var analyst = await As("alice");
        var evaluated = await analyst.PostJsonAsync($"/api/decisions/{text}/evaluate", new { variables = new { tier = "gold" } });
        var versions = await analyst.GetJsonAsync($"/api/decisions/{discount}");
        Assert.Multiple(() =>
        {
            Assert.That(evaluated.GetProperty("value").GetString(), Is.EqualTo("rebate 10 %"), "the edited literal expression over the table's value");
            Assert.That(versions[0].GetProperty("versionTag").GetString(), Is.EqualTo("2026-12"), "the tag set in the panel is kept with the version");
            Assert.That(markedTitle, Does.Contain("do not parse"), "the finding's message on its cell");
            Assert.That(markedCells, Is.EqualTo(1), "only the cell the finding is about");
        });
    }
}
