using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Validation;

public sealed class SearchableDeclarationTests
{
    private static string Journey(string declarations) => Process("journey", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("handle")}
        {Chain("start", "handle")}
        """, extensions: $"<bpmn:extensionElements>{declarations}</bpmn:extensionElements>");

    private static async Task<IReadOnlyList<(string Code, FindingSeverity Severity)>> FindingsAsync(string xml) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(xml)).Findings.Select(f => (f.Code, f.Severity)).ToList();

    [Test]
    public async Task Searchable_variables_with_a_name_and_a_known_type_deploy_and_are_listed_with_their_types()
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(Journey("""<wf:searchable name="amount" type="number"/><wf:searchable name="customerId"/><wf:searchable name="received" type="date"/>"""), "test");

        var declared = await engine.Inspection.GetSearchableVariablesAsync("journey");

        Assert.That(declared, Is.EqualTo(new[] { new SearchableVariableInfo("amount", "number"), new SearchableVariableInfo("customerId", "string"), new SearchableVariableInfo("received", "date") }));
    }

    [Test]
    public async Task A_declaration_without_a_variable_name_with_an_unknown_type_twice_or_beyond_the_limit_is_an_error()
    {
        var tooMany = string.Concat(Enumerable.Range(0, 11).Select(i => $"""<wf:searchable name="v{i}"/>"""));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await FindingsAsync(Journey("""<wf:searchable type="number"/>""")), Does.Contain(("SEARCHABLE_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:searchable name="customer.id"/>""")), Does.Contain(("SEARCHABLE_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:searchable name="amount" type="money"/>""")), Does.Contain(("SEARCHABLE_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:searchable name="a"/><wf:searchable name="a" type="number"/>""")), Does.Contain(("SEARCHABLE_DUPLICATE", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey(tooMany)), Does.Contain(("SEARCHABLE_TOO_MANY", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:searchable name="amount" type="number"/>""")), Has.None.Matches<(string Code, FindingSeverity Severity)>(f => f.Severity == FindingSeverity.Error));
        }
    }

    [Test]
    public async Task A_process_that_declares_nothing_searchable_writes_no_index_rows()
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(Journey(""), "test");
        var id = await engine.Runtime.StartAsync(new StartInstance("journey") { Variables = new Dictionary<string, object?> { ["amount"] = 10 } });

        var search = () => engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "journey", Variables = [new VariableFilter("amount", VariableComparison.Equal, 10)] });

        Assert.That(search, Throws.TypeOf<WorkflowInputException>().With.Message.Contains("searchable: none"));
        Assert.That((await engine.Inspection.InspectAsync(id)).Instance.Id, Is.EqualTo(id));
    }
}
