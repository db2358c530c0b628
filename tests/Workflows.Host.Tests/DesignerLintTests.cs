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
}
