using System.Text.Json;
using Workflows.Processes;

namespace Workflows.Host.Tests;

/// <summary>
/// The journey library's element templates against Camunda's Zeebe element-templates JSON schema, checked by Node.js with
/// @bpmn-io/element-templates-validator (host/web/lint/check-templates.cjs), the validator the designer's panel runs before
/// it offers a template; and the host serving them to the designer (<c>GET /api/element-templates</c>).
/// </summary>
[NonParallelizable]
public sealed class ElementTemplateCheckTests() : HostFixture(Backend.Sqlite)
{
    private static string[] LibraryTemplates() =>
        Directory.GetFiles(Path.Combine(WebScripts.Repository(), "processes", "Workflows.Processes", "Templates"), "*.json");

    private static Task<(int Code, string Output)> CheckAsync(params string[] files) => WebScripts.RunAsync("lint/check-templates.cjs", files);

    [Test]
    public async Task The_librarys_templates_pass_the_zeebe_element_templates_schema()
    {
        var files = LibraryTemplates();

        var (code, output) = await CheckAsync(files);

        Assert.That(files, Has.Length.GreaterThanOrEqualTo(5));
        Assert.That((code, output), Is.EqualTo((0, "")));
    }

    [Test]
    public async Task A_template_breaking_the_schema_fails_the_check_naming_the_template_the_place_and_the_rule()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"broken-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """
            [
              { "$schema": "https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json", "name": "Header without key",
                "id": "broken.header", "appliesTo": ["bpmn:Task"], "properties": [ { "type": "String", "binding": { "type": "zeebe:taskHeader" } } ] },
              { "$schema": "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json", "name": "A Camunda 7 template",
                "id": "broken.c7", "appliesTo": ["bpmn:ServiceTask"], "properties": [] },
              { "$schema": "https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json", "name": "No appliesTo", "id": "broken.applies", "properties": [] }
            ]
            """);

        var (code, output) = await CheckAsync(file);
        File.Delete(file);

        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("broken.header /properties/0/binding property.binding \"zeebe:taskHeader\" requires key")
            .And.Contain("broken.c7 /$schema must name the Zeebe element-templates schema")
            .And.Contain("broken.applies / missing appliesTo=[]"));
    }

    [Test]
    public async Task The_host_serves_the_librarys_templates_as_one_array()
    {
        var served = await (await As("alice")).GetJsonAsync("/api/element-templates");

        var ids = served.EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        var shipped = JourneyLibrary.ElementTemplates.Select(t => JsonDocument.Parse(t.Xml).RootElement.GetProperty("id").GetString()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Is.EquivalentTo(shipped));
            Assert.That(ids, Does.Contain("io.workflows.notify-customer").And.Contain("io.workflows.back-office-handover"));
            Assert.That(served.EnumerateArray().All(t => t.GetProperty("$schema").GetString()!.Contains("zeebe-element-templates-json-schema", StringComparison.Ordinal)), Is.True);
        }
    }
}
