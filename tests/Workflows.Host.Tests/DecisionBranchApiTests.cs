using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Decisions on a branch's side of the API, on SQLite and on PostgreSQL + RabbitMQ: pins validated as version numbers,
/// analysts seeing every branch's pins, evaluations recorded and listed by who may see them, what changed between
/// versions, and a decision rolled out in waves and rolled back.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class DecisionBranchApiTests(Backend backend) : HostFixture(backend)
{
    private static string Dmn(string id, int limit) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Levels" namespace="urn:api">
          <decision id="{{id}}" name="Approval level"><decisionTable hitPolicy="UNIQUE">
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input><output name="level" typeRef="string"/>
            <rule id="small"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
            <rule id="large"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
          </decisionTable></decision>
        </definitions>
        """;

    /// <summary>Deploys two versions of a new decision as alice; another analyst approves those asked.</summary>
    private async Task<string> TwoVersionsAsync(params int[] approved)
    {
        var decision = "level-" + Guid.NewGuid().ToString("N")[..8];
        var alice = await As("alice");
        foreach (var limit in new[] { 1000, 2000 })
        {
            using var deployed = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn(decision, limit), Encoding.UTF8, "application/xml"));
            await deployed.JsonAsync(HttpStatusCode.Created);
        }

        var ines = Host.WithToken(("sub", "ines"), ("role", "analyst"));
        foreach (var version in approved)
        {
            await ines.PostJsonAsync($"/api/decisions/{decision}/versions/{version}/approval", new { reason = "reviewed for the test" });
        }

        return decision;
    }

    [Test]
    public async Task A_decision_pin_takes_a_version_number_of_one_or_more_and_names_the_field_otherwise()
    {
        var decision = await TwoVersionsAsync(1);
        var bruno = await As("bruno");
        var url = $"/api/branches/paris-01/decision-pins/{decision}";

        using var text = await bruno.PutAsync(new Uri(url, UriKind.Relative), new StringContent("""{"version":"1"}""", Encoding.UTF8, "application/json"));
        using var zero = await bruno.PutAsJsonAsync(url, new { version = 0 });
        using var negative = await bruno.PutAsJsonAsync(url, new { version = -1 });
        using var missing = await bruno.PutAsJsonAsync(url, new { });
        using var journeyText = await bruno.PutAsync(new Uri("/api/branches/paris-01/pins/complaint", UriKind.Relative), new StringContent("""{"version":"1"}""", Encoding.UTF8, "application/json"));
        using var journeyZero = await bruno.PutAsJsonAsync("/api/branches/paris-01/pins/complaint", new { version = 0 });
        using var pinned = await bruno.PutAsJsonAsync(url, new { version = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await text.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("version:"), "the text \"1\" is no version number");
            Assert.That(await zero.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo("version: 0 is not a version; versions are numbered from 1"));
            Assert.That(await negative.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo("version: -1 is not a version; versions are numbered from 1"));
            Assert.That(await missing.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("version names the version to pin"));
            Assert.That(await journeyText.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("version:"));
            Assert.That(await journeyZero.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo("version: 0 is not a version; versions are numbered from 1"));
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_branchs_decision_pins_are_listed_checked_to_its_own_staff_and_analysts_and_refused_to_another_branch()
    {
        var decision = await TwoVersionsAsync(1);
        var bruno = await As("bruno");
        using var pinned = await bruno.PutAsJsonAsync($"/api/branches/paris-01/decision-pins/{decision}", new { version = 1 });
        var listed = await bruno.GetJsonAsync("/api/branches/paris-01/decision-pins");
        var byAnalyst = await (await As("alice")).GetJsonAsync("/api/branches/paris-01/decision-pins");
        using var otherBranch = await Host.WithToken(("sub", "lea"), ("role", "branch-admin"), ("branch", "lyon-01")).GetAsync(new Uri("/api/branches/paris-01/decision-pins", UriKind.Relative));
        using var unknown = await (await As("alice")).GetAsync(new Uri("/api/branches/nowhere/decision-pins", UriKind.Relative));

        var mine = listed.EnumerateArray().Single(p => p.GetProperty("decisionId").GetString() == decision);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(mine.GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That(mine.GetProperty("problem").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "an approved version that reads holds");
            Assert.That(byAnalyst.EnumerateArray().Select(p => p.GetProperty("decisionId").GetString()), Does.Contain(decision));
            Assert.That(await otherBranch.ProblemAsync(HttpStatusCode.Forbidden), Does.Contain("paris-01"));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    [Test]
    public async Task Analysts_see_every_branch_pinning_a_decision_version_and_a_branchs_staff_their_own_only()
    {
        var decision = await TwoVersionsAsync(1, 2);
        await (await As("bruno")).PutAsJsonAsync($"/api/branches/paris-01/decision-pins/{decision}", new { version = 1 });
        await Host.WithToken(("sub", "lea"), ("role", "branch-admin"), ("branch", "lyon-01")).PutAsJsonAsync($"/api/branches/lyon-01/decision-pins/{decision}", new { version = 1 });

        static IEnumerable<string?> PinnedBy(System.Text.Json.JsonElement versions) =>
            versions.EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 1).GetProperty("pinnedBy").EnumerateArray().Select(b => b.GetString());
        var analyst = await (await As("alice")).GetJsonAsync($"/api/decisions/{decision}");
        var listed = (await (await As("alice")).GetJsonAsync("/api/decisions")).EnumerateArray().Where(v => v.GetProperty("decisionId").GetString() == decision).ToList();
        var agent = await (await As("ann")).GetJsonAsync($"/api/decisions/{decision}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(PinnedBy(analyst), Is.EqualTo(new[] { "lyon-01", "paris-01" }));
            Assert.That(listed.Single(v => v.GetProperty("version").GetInt32() == 1).GetProperty("pinnedBy").GetArrayLength(), Is.EqualTo(2));
            Assert.That(PinnedBy(agent), Is.EqualTo(new[] { "paris-01" }));
        }
    }

    [Test]
    public async Task Evaluations_through_the_api_are_recorded_and_listed_to_analysts_whole_and_to_a_branch_its_own()
    {
        var decision = await TwoVersionsAsync(1);
        var ann = await As("ann");
        await ann.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        var leo = Host.WithToken(("sub", "leo"), ("role", "agent"), ("branch", "lyon-01"));
        await leo.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 500 } });

        var all = await (await As("alice")).GetJsonAsync($"/api/decisions/{decision}/evaluations");
        var paris = await Operator("paris-01").GetJsonAsync($"/api/decisions/{decision}/evaluations");
        using var other = await Operator("paris-01").GetAsync(new Uri($"/api/decisions/{decision}/evaluations?branch=lyon-01", UriKind.Relative));
        using var agent = await ann.GetAsync(new Uri($"/api/decisions/{decision}/evaluations", UriKind.Relative));
        using var unknown = await (await As("alice")).GetAsync(new Uri("/api/decisions/no-such-decision/evaluations", UriKind.Relative));
        var mine = paris.EnumerateArray().Single();
        var table = mine.GetProperty("detail").GetProperty("decisions")[0];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.EnumerateArray().Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("branch").GetString())),
                Is.EquivalentTo(new[] { ("ann", "paris-01"), ("leo", "lyon-01") }));
            Assert.That((mine.GetProperty("actor").GetString(), mine.GetProperty("version").GetInt32()), Is.EqualTo(("ann", 1)));
            Assert.That(table.GetProperty("inputs")[0].GetProperty("value").GetDecimal(), Is.EqualTo(1500m));
            Assert.That(table.GetProperty("matchedRules")[0].GetProperty("ruleId").GetString(), Is.EqualTo("large"));
            Assert.That(table.GetProperty("output").GetString(), Is.EqualTo("manager"));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "an agent evaluates but does not read the record");
            Assert.That(await unknown.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("no-such-decision"));
        }
    }

    [Test]
    public async Task An_evaluation_with_an_input_nested_deeper_than_64_levels_is_listed_like_any_other()
    {
        var decision = await TwoVersionsAsync(1);
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70);
        var ann = await As("ann");
        using var evaluated = await ann.PostAsync(new Uri($"/api/decisions/{decision}/evaluate", UriKind.Relative),
            new StringContent("{\"variables\":{\"amount\":" + deep + "}}", Encoding.UTF8, "application/json"));
        Assert.That(evaluated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await evaluated.Content.ReadAsStringAsync());

        var body = await (await As("alice")).GetStringAsync(new Uri($"/api/decisions/{decision}/evaluations", UriKind.Relative));

        using var listed = System.Text.Json.JsonDocument.Parse(body, new System.Text.Json.JsonDocumentOptions { MaxDepth = 256 });
        var input = listed.RootElement.EnumerateArray().Single().GetProperty("detail").GetProperty("decisions")[0].GetProperty("inputs")[0].GetProperty("value");
        var depth = 0;
        for (; input.ValueKind == System.Text.Json.JsonValueKind.Object; depth++)
        {
            input = input.GetProperty("a");
        }

        Assert.That(depth, Is.EqualTo(70), "the stored record is read to the depth the engine stores, not System.Text.Json's default 64");
    }

    [Test]
    public async Task A_decision_version_rolls_out_in_two_waves_shows_what_changed_and_rolls_back_through_the_api()
    {
        var decision = await TwoVersionsAsync(1);
        var central = CentralAdmin();
        var plan = new { decision, version = 2, waves = new[] { new { name = "pilot", branches = new[] { "paris-01" } }, new { name = "rest", branches = new[] { "lyon-01" } } }, reason = "the new limit" };
        using var unapproved = await central.PostAsJsonAsync("/api/rollouts", plan);
        await Host.WithToken(("sub", "ines"), ("role", "analyst")).PostJsonAsync($"/api/decisions/{decision}/versions/2/approval", new { reason = "reviewed" });
        using var planned = await central.PostAsJsonAsync("/api/rollouts", plan);
        var rollout = await planned.JsonAsync(HttpStatusCode.Created);
        var id = rollout.GetProperty("id").GetString();
        await central.PostJsonAsync($"/api/rollouts/{id}/advance", new { reason = "pilot", wave = "pilot" });
        var paris = await central.GetJsonAsync("/api/branches/paris-01");
        await central.PostJsonAsync($"/api/rollouts/{id}/advance", new { reason = "rest", wave = "rest" });
        var versions = await (await As("alice")).GetJsonAsync($"/api/decisions/{decision}");
        var listed = await central.GetJsonAsync($"/api/rollouts?decision={decision}");
        var changed = await (await As("bruno")).GetJsonAsync($"/api/decisions/{decision}/compare?from=1&to=2");
        using var figures = await central.GetAsync(new Uri($"/api/rollouts/{id}/figures", UriKind.Relative));
        var back = await central.PostJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "too many managers' tasks" });
        var lyon = await central.GetJsonAsync("/api/branches/lyon-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await unapproved.ProblemAsync(HttpStatusCode.Conflict), Does.StartWith($"cannot roll out version 2 of decision '{decision}': it is deployed (by alice), not approved"));
            Assert.That(rollout.GetProperty("subject").GetString(), Is.EqualTo("decision"));
            Assert.That(paris.GetProperty("decisionPins").GetProperty(decision).GetInt32(), Is.EqualTo(2));
            Assert.That(versions.EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 2).GetProperty("stage").GetString(), Is.EqualTo("rolledOut"));
            Assert.That(listed.EnumerateArray().Select(r => r.GetProperty("id").GetString()), Is.EqualTo(new[] { id }));
            Assert.That(changed.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("text").GetString()),
                Is.EqualTo(new[] { "rule 1: Amount was “<= 1000”, now “<= 2000”", "rule 2: Amount was “> 1000”, now “> 2000”" }));
            Assert.That(await figures.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("service figures are counted per journey"));
            Assert.That(back.GetProperty("status").GetString(), Is.EqualTo("rolledBack"));
            Assert.That(lyon.GetProperty("decisionPins").TryGetProperty(decision, out _), Is.False, "Lyon pinned nothing before the rollout");
        }
    }
}
