using Workflows.Engine.Feel;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Validation;

public sealed class ParameterDeclarationTests
{
    private const string Declared = """
        <wf:parameter name="frontDeskAuthority" type="number" min="0" max="500" default="100" label="Front desk's authority"/>
        <wf:parameter name="queue" values="front-desk,counter"/>
        <wf:parameter name="answerWithin" type="duration" min="PT1H" max="P2D"/>
        <wf:parameter name="surveyByPhone" type="boolean" default="false"/>
        """;

    private static string Journey(string declarations, string task = "handle") => Process("journey", $"""
        <bpmn:startEvent id="s"/>
        {UserTask(task)}
        {Chain("s", task)}
        """, extensions: $"<bpmn:extensionElements>{declarations}</bpmn:extensionElements>");

    private static async Task<IReadOnlyList<(string Code, FindingSeverity Severity)>> FindingsAsync(string xml) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(xml)).Findings.Select(f => (f.Code, f.Severity)).ToList();

    private static async Task<ProcessTestHarness> BranchOnJourneyAsync()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey(Declared));
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon") { Settings = new Dictionary<string, decimal> { ["legacy"] = 7 } });
        await h.Engine.Branches.SaveAsync(new Branch("nice-01", "Nice"));
        return h;
    }

    [Test]
    public async Task A_declaration_without_a_name_of_an_unknown_type_with_bounds_that_do_not_read_or_a_standard_outside_them_twice_or_beyond_the_limit_is_an_error()
    {
        var tooMany = string.Concat(Enumerable.Range(0, 21).Select(i => $"""<wf:parameter name="p{i}"/>"""));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await FindingsAsync(Journey("""<wf:parameter type="number"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a.b"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" type="money"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" type="number" min="ten"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" type="number" min="10" max="1"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" type="duration" max="P1M"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" min="1"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a" type="number" max="5" default="6"/>""")), Does.Contain(("PARAMETER_INVALID", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey("""<wf:parameter name="a"/><wf:parameter name="a" type="number"/>""")), Does.Contain(("PARAMETER_DUPLICATE", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey(tooMany)), Does.Contain(("PARAMETER_TOO_MANY", FindingSeverity.Error)));
            Assert.That(await FindingsAsync(Journey(Declared)), Has.None.Matches<(string Code, FindingSeverity Severity)>(f => f.Severity == FindingSeverity.Error));
        }
    }

    [Test]
    public async Task A_branch_sets_values_within_the_declared_bounds_and_a_value_outside_them_is_refused_naming_the_parameter_and_the_bound()
    {
        var h = await BranchOnJourneyAsync();
        var above = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = 900m }));
        var below = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["answerWithin"] = "PT10M" }));
        var notListed = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["queue"] = "back-office" }));
        var wrongType = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["surveyByPhone"] = "maybe" }));
        var undeclared = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["colour"] = "red" }));

        var saved = await h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = 250m, ["queue"] = "counter", ["answerWithin"] = "PT4H" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(above!.Message, Is.EqualTo("parameter 'frontDeskAuthority' is 900, above its maximum 500"));
            Assert.That(below!.Message, Is.EqualTo("parameter 'answerWithin' is PT10M, below its minimum PT1H"));
            Assert.That(notListed!.Message, Does.Contain("parameter 'queue' is one of front-desk, counter"));
            Assert.That(wrongType!.Message, Does.Contain("parameter 'surveyByPhone' is true or false"));
            Assert.That(undeclared!.Message, Does.Contain("declares no parameter 'colour'").And.Contain("frontDeskAuthority, queue, answerWithin, surveyByPhone"));
            Assert.That(saved.Version, Is.EqualTo(1));
            Assert.That(saved.Parameters.Select(p => (p.Name, p.Type, p.Value, p.Standard)), Is.EqualTo(new (string, string, string?, string?)[]
            {
                ("frontDeskAuthority", "number", "250", "100"), ("queue", "string", "counter", null), ("answerWithin", "duration", "PT4H", null), ("surveyByPhone", "boolean", null, "false"),
            }));
            Assert.That((await h.Engine.Branches.GetAsync("lyon-01")).Parameters["journey"], Has.Count.EqualTo(3), "the refused values left nothing behind");
        }
    }

    [Test]
    public async Task Instances_read_the_branchs_values_and_the_standard_ones_in_branchSettings()
    {
        var h = await BranchOnJourneyAsync();
        await h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = 250m, ["queue"] = "counter" });
        await h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["queue"] = null });

        var lyon = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "lyon-01" });
        var nice = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "nice-01" });
        var lyonSettings = (FeelContext)(await h.Engine.Queries.GetInstanceAsync(lyon)).Variables["branchSettings"]!;
        var niceSettings = (FeelContext)(await h.Engine.Queries.GetInstanceAsync(nice)).Variables["branchSettings"]!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lyonSettings["frontDeskAuthority"], Is.EqualTo(250m));
            Assert.That(lyonSettings.ContainsKey("queue"), Is.False, "a value set back to null runs on the standard, and queue has none");
            Assert.That(lyonSettings["surveyByPhone"], Is.EqualTo(false));
            Assert.That(lyonSettings["legacy"], Is.EqualTo(7m), "the branch's older settings stay");
            Assert.That(niceSettings["frontDeskAuthority"], Is.EqualTo(100m), "a branch that sets nothing runs on the standard");
        }
    }

    [Test]
    public async Task The_drift_report_shows_which_branch_runs_which_version_against_the_approved_standard_and_the_values_that_differ()
    {
        var h = await BranchOnJourneyAsync();
        await h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = 250m, ["surveyByPhone"] = false });
        await h.DeployAsync(Journey("""<wf:parameter name="frontDeskAuthority" type="number" min="0" max="200"/>""", task: "handle2"));
        await h.Engine.Rollouts.ApproveAsync("journey", 1, "alice", "the standard");
        await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "the new standard"); // a branch pins only an approved version
        await h.Engine.Branches.UpdateAsync("lyon-01", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 2 } });

        var drift = await h.Engine.Branches.GetDriftAsync("journey");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift.Select(r => (r.BranchId, r.Version, r.Pinned, r.StandardVersion, r.OnStandard)),
                Is.EqualTo(new[] { ("lyon-01", 2, true, (int?)2, true), ("nice-01", 2, false, (int?)2, true) }));
            Assert.That(drift[0].Differences.Select(d => (d.Name, d.Value, d.Problem)), Is.EqualTo(new (string, string?, string?)[]
            {
                ("frontDeskAuthority", "250", "parameter 'frontDeskAuthority' is 250, above its maximum 200"),
                ("surveyByPhone", "false", "journey 'journey' version 2 declares no parameter 'surveyByPhone'"),
            }));
            Assert.That(drift[1].Differences, Is.Empty);
        }

        await h.Engine.Branches.UpdateAsync("lyon-01", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 1 } });
        var onStandard = (await h.Engine.Branches.GetDriftAsync("journey"))[0];
        Assert.That((onStandard.Version, onStandard.StandardVersion, onStandard.OnStandard), Is.EqualTo((1, (int?)2, false)), "version 1 is no longer the standard");
        Assert.That(onStandard.Differences.Select(d => d.Name), Is.EqualTo(new[] { "frontDeskAuthority" }), "the standard value of surveyByPhone is false: no difference");
    }

    [Test]
    public async Task An_unpinned_branch_is_reported_on_the_standard_it_runs_not_on_a_newer_version_only_deployed()
    {
        var h = await BranchOnJourneyAsync();
        await h.Engine.Rollouts.ApproveAsync("journey", 1, "alice", "the standard");
        await h.DeployAsync(Journey("""<wf:parameter name="frontDeskAuthority" type="number" min="0" max="200"/>""", task: "handle2"));

        var drift = (await h.Engine.Branches.GetDriftAsync("journey")).Single(r => r.BranchId == "nice-01");
        var parameters = await h.Engine.Branches.GetParametersAsync("nice-01", "journey");
        var started = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "nice-01" });
        var runs = (await h.Engine.Queries.GetInstanceAsync(started)).Version;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((drift.Version, drift.Pinned, drift.StandardVersion, drift.OnStandard), Is.EqualTo((1, false, (int?)1, true)), "version 2 is only deployed: the branch runs version 1");
            Assert.That(parameters.Version, Is.EqualTo(1), "the parameters shown are those of the version the branch runs");
            Assert.That(runs, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_number_is_a_plain_number_stored_in_its_canonical_form_and_separators_spaces_trailing_signs_or_exponents_are_refused()
    {
        var h = await BranchOnJourneyAsync();
        var refused = new List<string>();
        foreach (var text in new[] { "1,5", "1,000", "  12  ", "5-", "+5", "1e2", "1.", ".5", "１２", "0x10", "99999999999999999999999999999" })
        {
            var e = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = text }));
            refused.Add(e!.Message);
        }

        var saved = await h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = "012.50" });
        var negative = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SetParametersAsync("lyon-01", "journey", new Dictionary<string, object?> { ["frontDeskAuthority"] = "-3" }));
        var started = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "lyon-01" });
        var settings = (FeelContext)(await h.Engine.Queries.GetInstanceAsync(started)).Variables["branchSettings"]!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Has.All.StartsWith("parameter 'frontDeskAuthority' is a plain number such as 1500 or 1.5"));
            Assert.That(saved.Parameters.Single(p => p.Name == "frontDeskAuthority").Value, Is.EqualTo("12.5"), "stored as the number instances read");
            Assert.That(negative!.Message, Is.EqualTo("parameter 'frontDeskAuthority' is -3, below its minimum 0"), "a leading minus is a number, then checked against the bound");
            Assert.That(settings["frontDeskAuthority"], Is.EqualTo(12.5m));
        }
    }

    [Test]
    public async Task A_value_in_the_branchs_older_settings_is_what_its_cases_read_and_the_views_and_the_drift_report_say_so()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey(Declared));
        await h.Engine.Rollouts.ApproveAsync("journey", 1, "journey-library", "the standard");
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris") { Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 } });
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon") { Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 100 } });

        var paris = (await h.Engine.Branches.GetParametersAsync("paris-01", "journey")).Parameters.Single(p => p.Name == "frontDeskAuthority");
        var surveyed = (await h.Engine.Branches.GetParametersAsync("paris-01", "journey")).Parameters.Single(p => p.Name == "surveyByPhone");
        var drift = await h.Engine.Branches.GetDriftAsync("journey");
        var started = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01" });
        var read = ((FeelContext)(await h.Engine.Queries.GetInstanceAsync(started)).Variables["branchSettings"]!)["frontDeskAuthority"];

        using (Assert.EnterMultipleScope())
        {
            Assert.That((paris.Value, paris.Reads, paris.ReadFrom), Is.EqualTo(((string?)null, "150", "settings")), "the branch set no value of its own; its cases read 150");
            Assert.That(read, Is.EqualTo(150m));
            Assert.That((surveyed.Reads, surveyed.ReadFrom), Is.EqualTo(("false", "standard")));
            Assert.That(drift.Select(r => (r.BranchId, string.Join(",", r.Differences.Select(d => $"{d.Name}={d.Reads}")))),
                Is.EqualTo(new[] { ("lyon-01", ""), ("paris-01", "frontDeskAuthority=150") }), "Lyon's 100 is the standard; Paris's 150 differs");
        }
    }
}
