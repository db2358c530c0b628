using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Validation;

/// <summary>
/// Link events as Camunda 8 deploys them (its <c>LinkEventTest</c>): a throw with no catch of its name in its own scope,
/// or two catches of one name in a scope, refuse the deployment naming the element; a well-paired link deploys clean.
/// </summary>
public sealed class LinkValidationTests
{
    private static string Throw(string id, string name) => $"""<bpmn:intermediateThrowEvent id="{id}"><bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateThrowEvent>""";

    private static string Catch(string id, string name) => $"""<bpmn:intermediateCatchEvent id="{id}"><bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateCatchEvent>""";

    private static IReadOnlyList<ValidationFinding> Refused(string bpmn)
    {
        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => new ProcessTestHarness().DeployAsync(bpmn));
        return [.. refused!.Report.Errors];
    }

    [Test]
    public void A_link_throw_with_no_catch_of_its_name_is_refused_naming_the_throw()
    {
        var errors = Refused(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {Throw("jump", "NOPE")}
            {Chain("start", "jump")}
            """));

        Assert.That(errors.Select(e => (e.Code, e.ElementId)), Is.EqualTo(new[] { ("LINK_CATCH_MISSING", "jump") }));
        Assert.That(errors[0].Message, Does.Contain("'NOPE'"));
    }

    [Test]
    public void A_link_catch_in_another_scope_does_not_pair_with_the_throw()
    {
        var errors = Refused(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {Throw("jump", "L")}
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/>
              {Catch("land", "L")}
              {UserTask("inside")}
              {Chain("land", "inside")}
            </bpmn:subProcess>
            {Chain("start", "jump")}
            """));

        var missing = errors.Single(e => e.Code == "LINK_CATCH_MISSING");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(missing.ElementId, Is.EqualTo("jump"));
            Assert.That(missing.Message, Does.Contain("'land'").And.Contain("another scope"));
        }
    }

    [Test]
    public void Two_link_catches_of_one_name_in_a_scope_are_refused()
    {
        var errors = Refused(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {Throw("jump", "L")}
            {Catch("c1", "L")}{Catch("c2", "L")}
            {UserTask("u1")}{UserTask("u2")}
            {Chain("start", "jump")}{Chain("c1", "u1")}{Chain("c2", "u2")}
            """));

        Assert.That(errors.Select(e => (e.Code, e.ElementId)), Is.EqualTo(new[] { ("LINK_CATCH_DUPLICATE", "c2") }));
    }

    [Test]
    public async Task Links_paired_in_the_process_and_inside_a_sub_process_deploy_clean()
    {
        var h = new ProcessTestHarness();

        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {Throw("jump", "L")}{Catch("land", "L")}
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/>
              {Throw("innerJump", "L")}{Catch("innerLand", "L")}
              <bpmn:endEvent id="subEnd"/>
              {Chain("subStart", "innerJump")}{Chain("innerLand", "subEnd")}
            </bpmn:subProcess>
            {UserTask("after")}
            {Chain("start", "jump")}{Chain("land", "sub", "after")}
            """));

        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }
}
