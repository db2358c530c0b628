namespace Workflows.Host.Tests;

/// <summary>
/// The designer's live checks (host/web/lint) run by Node.js over files, as the browser runs them over the edited
/// diagram: the journey library and the modelling guide's example pass them (a rule that flagged what the engine runs
/// would show analysts false errors), and a model the server refuses fails them by the server's finding codes.
/// </summary>
public sealed class DesignerLintTests
{
    private static string Repository() => WebScripts.Repository();

    private static Task<(int Code, string Output)> CheckAsync(params string[] files) => WebScripts.RunAsync("lint/check-files.cjs", files);

    [Test]
    public async Task The_journey_library_and_the_guides_example_pass_the_designers_live_checks()
    {
        var files = Directory.GetFiles(Path.Combine(Repository(), "processes", "Workflows.Processes", "Journeys"), "*.bpmn")
            .Append(Path.Combine(Repository(), "docs", "examples", "address-update.bpmn")).ToArray();

        var (code, output) = await CheckAsync(files);

        Assert.That(files, Has.Length.GreaterThanOrEqualTo(5));
        Assert.That((code, output), Is.EqualTo((0, "")));
    }

    [Test]
    public async Task A_model_the_server_refuses_fails_them_by_the_servers_finding_codes()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"refused-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, """
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="refused" isExecutable="true">
                <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
                <bpmn:serviceTask id="work"><bpmn:extensionElements><wf:sla warnings="half" /></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming></bpmn:serviceTask>
                <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
              </bpmn:process>
            </bpmn:definitions>
            """);

        var (code, output) = await CheckAsync(file);
        File.Delete(file);

        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("work workflows/tasks TASK_TYPE_MISSING")
            .And.Contain("work workflows/service-levels SLA_TARGET_MISSING")
            .And.Contain("SLA_INVALID: the warning 'half'")
            .And.Contain("wait workflows/events TIMER_MISSING"));
    }

    // Every element docs/bpmn-extensions.md shares with Zeebe, in its wf: form only (the engine reads either).
    private const string WfShared = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:message id="m" name="m"><bpmn:extensionElements><wf:subscription correlationKey="=caseId" /></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="shared" isExecutable="true">
            <bpmn:extensionElements><wf:versionTag value="v9" /></bpmn:extensionElements>
            <bpmn:startEvent id="start" />
            <bpmn:userTask id="work"><bpmn:extensionElements><wf:assignmentDefinition candidateGroups="front-desk" assignee="=owner" /><wf:priorityDefinition priority="70" /><wf:taskSchedule dueDate="PT4H" followUpDate="PT2H" /></bpmn:extensionElements></bpmn:userTask>
            <bpmn:serviceTask id="notify"><bpmn:extensionElements><wf:taskDefinition type="notify" /><wf:ioMapping><wf:input source="=customerId" target="to" /><wf:output source="=sent" target="notified" /></wf:ioMapping><wf:taskHeaders><wf:header key="channel" value="email" /></wf:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:callActivity id="call"><bpmn:extensionElements><wf:calledElement processId="complaint" bindingType="versionTag" versionTag="v2" propagateAllChildVariables="false" /></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:scriptTask id="sum"><bpmn:extensionElements><wf:script expression="=a + b" resultVariable="total" /></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:serviceTask id="each"><bpmn:extensionElements><wf:taskDefinition type="notify" /></bpmn:extensionElements>
              <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><wf:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=result" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>
            <bpmn:adHocSubProcess id="pick"><bpmn:extensionElements><wf:adHoc activeElementsCollection="=[&quot;inner&quot;]" /></bpmn:extensionElements><bpmn:task id="inner" /></bpmn:adHocSubProcess>
            <bpmn:intermediateCatchEvent id="when"><bpmn:conditionalEventDefinition id="c"><bpmn:extensionElements><wf:conditionalFilter variableNames="amount" variableEvents="create,update" /></bpmn:extensionElements><bpmn:condition xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">=amount &gt; 10</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:receiveTask id="wait" messageRef="m" />
            <bpmn:endEvent id="end" />
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task Every_element_shared_with_Zeebe_in_its_wf_form_survives_opening_and_saving_and_passes_the_live_checks()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"shared-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, WfShared);

        var roundTrip = await WebScripts.RunAsync("lint/check-roundtrip.cjs", [file]);
        var lint = await CheckAsync(file);
        File.Delete(file);

        Assert.That(roundTrip, Is.EqualTo((0, "")), "what the designer's moddle could not read or lost on saving");
        Assert.That(lint.Output, Does.Not.Contain("CALLED_ELEMENT_MISSING").And.Not.Contain("SCRIPT_MISSING").And.Not.Contain("MULTI_INSTANCE_INPUT"));
    }

    [Test]
    public async Task An_element_the_designer_cannot_read_is_named_by_the_round_trip_check()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"unknown-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, WfShared.Replace("<wf:versionTag value=\"v9\" />", "<wf:noSuchThing value=\"v9\" />", StringComparison.Ordinal));

        var (code, output) = await WebScripts.RunAsync("lint/check-roundtrip.cjs", [file]);
        File.Delete(file);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain("import unparsable content <wf:noSuchThing>").And.Contain("lost wf:noSuchThing 1 -> 0"));
    }

    // Each line: an extension the server refuses, and the code the live checks must give it (docs/designer.md's table).
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"P1M\" /></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"2 working days\" /></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"=due\" /></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"PT4H\" warnings=\"0%\" /></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"PT4H\"><wf:escalate at=\"soon\" queue=\"q\" /></wf:sla></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:sla target=\"PT4H\"><wf:escalate queue=\"q\" repeat=\"hourly\" /></wf:sla></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:commitment level=\"2\" budget=\"4 hours\" /></bpmn:extensionElements></bpmn:serviceTask>", "COMMITMENT_INVALID")]
    [TestCase("<bpmn:serviceTask id=\"x\"><bpmn:extensionElements><wf:taskDefinition type=\"t\" /><wf:commitment level=\"2\" budget=\"PT4H\" warnings=\"lots\" /></bpmn:extensionElements></bpmn:serviceTask>", "SLA_INVALID")]
    [TestCase("<bpmn:startEvent id=\"x\"><bpmn:extensionElements><wf:form><wf:field id=\"caseId\" /></wf:form></bpmn:extensionElements></bpmn:startEvent>", "FORM_FIELD_INVALID")]
    [TestCase("<bpmn:userTask id=\"x\"><bpmn:extensionElements><wf:form><wf:field id=\"age\" type=\"number\" min=\"lots\" /></wf:form></bpmn:extensionElements></bpmn:userTask>", "FORM_FIELD_INVALID")]
    [TestCase("<bpmn:userTask id=\"x\"><bpmn:extensionElements><wf:form><wf:field id=\"zip\" pattern=\"([\" /></wf:form></bpmn:extensionElements></bpmn:userTask>", "FORM_FIELD_INVALID")]
    [TestCase("<bpmn:task id=\"x\" /></bpmn:process><bpmn:message id=\"m\" name=\"m\"><bpmn:extensionElements><wf:publish timeToLive=\"P1M\" /></bpmn:extensionElements></bpmn:message><bpmn:process id=\"other\">", "MESSAGE_TTL_INVALID")]
    public async Task What_the_server_refuses_under_a_code_checked_live_is_flagged_live(string element, string code)
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"live-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, $"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="p" isExecutable="true">{element}</bpmn:process>
            </bpmn:definitions>
            """);

        var (code2, output) = await CheckAsync(file);
        File.Delete(file);

        Assert.That(output, Does.Contain($"{code}:"), $"exit {code2}");
    }

    [Test]
    public async Task A_satisfaction_policy_with_a_priority_over_100_is_flagged_live()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"policy-{Guid.NewGuid():N}.bpmn");
        await File.WriteAllTextAsync(file, """
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="p" isExecutable="true"><bpmn:extensionElements><wf:satisfactionPolicy threshold="3" queue="care" priority="high" /></bpmn:extensionElements><bpmn:task id="x" /></bpmn:process>
            </bpmn:definitions>
            """);

        var (_, output) = await CheckAsync(file);
        File.Delete(file);

        Assert.That(output, Does.Contain("SATISFACTION_INVALID:"));
    }
}
