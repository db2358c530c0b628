using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Validation;

/// <summary>
/// Link events are paired at deploy, as Zeebe's validation does: a throw with no catch of its name in its scope, or two
/// catches of one name in a scope, is an error naming the elements (they used to deploy clean and fail, or be ignored, at run time).
/// </summary>
public sealed class LinkCheckTests
{
    private static string Throw(string id, string name) => $"""<bpmn:intermediateThrowEvent id="{id}"><bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateThrowEvent>""";

    private static string Catch(string id, string name) => $"""<bpmn:intermediateCatchEvent id="{id}"><bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateCatchEvent>""";

    private static async Task<IReadOnlyList<ValidationFinding>> FindingsAsync(string body) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(Process("links", body))).Findings.ToList();

    [Test]
    public async Task A_link_throw_with_no_catch_of_its_name_in_its_scope_is_an_error_naming_the_catch_in_another_scope()
    {
        var none = await FindingsAsync($"""<bpmn:startEvent id="s"/>{Throw("lt", "NOPE")}{Chain("s", "lt")}""");
        var elsewhere = await FindingsAsync($"""
            <bpmn:startEvent id="s"/>{Throw("lt", "L")}{Chain("s", "lt")}
            <bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>{Catch("inner", "L")}<bpmn:endEvent id="se"/>{Chain("ss", "se")}{Chain("inner", "se")}</bpmn:subProcess>
            <bpmn:endEvent id="e"/>{Chain("s", "sub")}{Chain("sub", "e")}
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(none.Where(f => f.Code == "LINK_CATCH_MISSING").Select(f => (f.ElementId, f.Severity)), Is.EqualTo(new[] { ("lt", FindingSeverity.Error) }));
            Assert.That(none.Single(f => f.Code == "LINK_CATCH_MISSING").Message, Does.Contain("'NOPE'"));
            Assert.That(elsewhere.Single(f => f.Code == "LINK_CATCH_MISSING").Message, Does.Contain("'inner'").And.Contain("another scope"));
        }
    }

    [Test]
    public async Task Two_link_catches_of_one_name_in_a_scope_are_an_error_and_a_pair_per_scope_is_not()
    {
        var twice = await FindingsAsync($"""
            <bpmn:startEvent id="s"/>{Throw("lt", "L")}{Catch("c1", "L")}{Catch("c2", "L")}{UserTask("u1")}{UserTask("u2")}
            {Chain("s", "lt")}{Chain("c1", "u1")}{Chain("c2", "u2")}
            """);
        var paired = await FindingsAsync($"""
            <bpmn:startEvent id="s"/>{Throw("lt", "L")}{Catch("c1", "L")}{UserTask("u1")}{Chain("s", "lt")}{Chain("c1", "u1")}
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(twice.Where(f => f.Code == "LINK_CATCH_DUPLICATE").Select(f => (f.ElementId, f.Severity)), Is.EqualTo(new[] { ("c2", FindingSeverity.Error) }));
            Assert.That(twice.Single(f => f.Code == "LINK_CATCH_DUPLICATE").Message, Does.Contain("'c1', 'c2'"));
            Assert.That(paired.Where(f => f.Code.StartsWith("LINK_", StringComparison.Ordinal)), Is.Empty);
        }
    }
}
