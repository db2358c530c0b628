using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Validation;

public sealed class CommitmentCheckTests
{
    private static string Step(string id, string name, string budget, int level = 2) =>
        $"""<bpmn:userTask id="{id}" name="{name}"><bpmn:extensionElements><wf:commitment level="{level}" department="d" budget="{budget}"/></bpmn:extensionElements></bpmn:userTask>""";

    // register → classify → (amount > 100: investigate | else: resolve) → respond
    private static string Complaint(string promise, string investigate, string loop = "") => Process("complaint", $"""
        <bpmn:startEvent id="start"/>
        {Step("register", "Register", "PT1H working")}
        {Step("classify", "Classify", "1 working hour")}
        <bpmn:exclusiveGateway id="route" default="toResolve"/>
        {Step("investigate", "Investigate", investigate)}
        {Step("resolve", "Resolve at the desk", "2 working hours")}
        <bpmn:exclusiveGateway id="merge"/>
        {Step("respond", "Respond", "4 working hours")}
        <bpmn:exclusiveGateway id="confirm" default="toEnd"/>
        <bpmn:endEvent id="end"/>
        {Chain("start", "register", "classify", "route")}
        {Flow("route", "investigate", "=amount > 100")}{Flow("route", "resolve", id: "toResolve")}
        {Chain("investigate", "merge")}{Chain("resolve", "merge")}{Chain("merge", "respond", "confirm")}
        {Flow("confirm", "end", id: "toEnd")}{loop}
        """, extensions: $"""<bpmn:extensionElements><wf:commitment level="1" name="Answered within 16 working hours" target="{promise}"/></bpmn:extensionElements>""");

    private static async Task<IReadOnlyList<ValidationFinding>> FindingsAsync(string xml) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(xml)).Findings.Where(f => f.Code.StartsWith("COMMITMENT", StringComparison.Ordinal)).ToList();

    [Test]
    public async Task Budgets_that_fit_the_promise_on_every_path_pass() =>
        Assert.That(await FindingsAsync(Complaint("16 working hours", "8 working hours")), Is.Empty);

    [Test]
    public async Task A_path_whose_budgets_exceed_the_promise_is_named_in_a_warning()
    {
        var findings = await FindingsAsync(Complaint("16 working hours", "12 working hours"));

        var exceeded = findings.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exceeded.Code, Is.EqualTo("COMMITMENT_EXCEEDED"));
            Assert.That(exceeded.Severity, Is.EqualTo(FindingSeverity.Warning));
            Assert.That(exceeded.Message, Does.Contain("Register → Classify → route → Investigate → merge → Respond"));
            Assert.That(exceeded.Message, Does.Contain("Answered within 16 working hours"));
            Assert.That(exceeded.Message, Does.Not.Contain("Resolve at the desk"), "the front-desk path fits");
        }
    }

    [Test]
    public async Task A_loop_is_counted_once_with_a_warning()
    {
        var findings = await FindingsAsync(Complaint("16 working hours", "8 working hours", Flow("confirm", "classify", "=unhappy", id: "reopen")));

        Assert.That(findings.Select(f => (f.Code, f.ElementId)), Is.EqualTo(new[] { ("COMMITMENT_LOOP", (string?)"classify") }));
    }

    // start → d0 (default: end | =go: K diamonds in a row, each a budgeted step or a plain one) → back to d0. Every path
    // but one loops back, so a cap on the paths that reach an end never stopped the 2^K walk (hours at K = 30).
    private static string DiamondsInALoop(int diamonds)
    {
        var body = new System.Text.StringBuilder("""<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="d0" default="toEnd"/><bpmn:endEvent id="end"/>""");
        body.Append(Chain("start", "d0")).Append(Flow("d0", "end", id: "toEnd")).Append(Flow("d0", "x1", "=go"));
        for (var k = 1; k <= diamonds; k++)
        {
            body.Append($"""<bpmn:exclusiveGateway id="x{k}"/>{Step($"a{k}", $"A{k}", "PT1H")}<bpmn:manualTask id="b{k}"/><bpmn:exclusiveGateway id="m{k}"/>""");
            body.Append(Chain($"x{k}", $"a{k}", $"m{k}")).Append(Chain($"x{k}", $"b{k}", $"m{k}"));
            body.Append(Chain($"m{k}", k == diamonds ? "d0" : $"x{k + 1}"));
        }

        return Process("diamonds", body.ToString(), extensions: """<bpmn:extensionElements><wf:commitment level="1" target="P2D"/></bpmn:extensionElements>""");
    }

    [Test]
    public async Task Paths_that_loop_back_count_against_the_bound_so_a_small_model_is_checked_in_bounded_time()
    {
        var check = Task.Run(() => FindingsAsync(DiamondsInALoop(40)));

        Assert.That(await Task.WhenAny(check, Task.Delay(TimeSpan.FromMinutes(1))), Is.SameAs(check), "2^40 paths were walked");
        var findings = await check;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings.Select(f => f.Code), Is.EquivalentTo(new[] { "COMMITMENT_LOOP", "COMMITMENT_PATHS" }));
            Assert.That(findings.Single(f => f.Code == "COMMITMENT_PATHS").Message, Does.Contain("stopped after"));
        }
    }

    [Test]
    public async Task A_loop_of_a_few_diamonds_is_walked_whole_with_no_paths_warning() =>
        Assert.That((await FindingsAsync(DiamondsInALoop(8))).Select(f => f.Code), Is.EqualTo(new[] { "COMMITMENT_LOOP" }));

    [Test]
    public async Task Level_three_budgets_must_fit_their_sub_process_budget()
    {
        var xml = Process("claims", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="assess" name="Assessment">
              <bpmn:extensionElements><wf:commitment level="2" department="Claims" budget="8 working hours"/></bpmn:extensionElements>
              <bpmn:startEvent id="as"/>{Step("inspect", "Inspect", "6 working hours", 3)}{Step("report", "Report", "4 working hours", 3)}<bpmn:endEvent id="ae"/>
              {Chain("as", "inspect", "report", "ae")}
            </bpmn:subProcess>
            <bpmn:endEvent id="e"/>
            {Chain("s", "assess", "e")}
            """, extensions: """<bpmn:extensionElements><wf:commitment level="1" target="2 business days"/></bpmn:extensionElements>""");

        var findings = await FindingsAsync(xml);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings.Single().Code, Is.EqualTo("COMMITMENT_EXCEEDED"));
            Assert.That(findings.Single().ElementId, Is.EqualTo("assess"));
            Assert.That(findings.Single().Message, Does.Contain("level-3 budgets").And.Contain("Inspect → Report"));
        }
    }

    [Test]
    public async Task Budgets_of_different_kinds_add_up_in_business_time()
    {
        // From Monday 09:00: 20 elapsed hours end Tuesday 05:00; 8 working hours then end Tuesday 17:00;
        // "2 business days" from Monday end Wednesday 17:00, so it fits, and "1 business day" (Tuesday 17:00) just does.
        string Model(string promise) => Process("mixed", $"""
            <bpmn:startEvent id="s"/>{Step("wait", "Wait", "PT20H")}{Step("work", "Work", "8 working hours")}<bpmn:endEvent id="e"/>{Chain("s", "wait", "work", "e")}
            """, extensions: $"""<bpmn:extensionElements><wf:commitment level="1" target="{promise}"/></bpmn:extensionElements>""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await FindingsAsync(Model("2 business days")), Is.Empty);
            Assert.That(await FindingsAsync(Model("1 business day")), Is.Empty);
            Assert.That((await FindingsAsync(Model("PT24H"))).Single().Code, Is.EqualTo("COMMITMENT_EXCEEDED"));
        }
    }

    [Test]
    public async Task An_unreadable_budget_is_an_error_reported_once()
    {
        var findings = await FindingsAsync(Complaint("16 working hours", "soon"));

        Assert.That(findings.Select(f => (f.Code, f.ElementId, f.Severity)), Is.EqualTo(new[] { ("COMMITMENT_INVALID", (string?)"investigate", FindingSeverity.Error) }));
    }
}
