using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Problems read as sentences about the caller's request: a body or parameter the API could not read names the field
/// and what it takes, never a .NET type; refusals say what was asked and why; another branch's things are unknown ids.
/// </summary>
[NonParallelizable]
public sealed class ProblemWordingTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Clock__Controllable"] = "true" });

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private HttpClient Operator(string branch) => _host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", branch));

    private HttpClient Central() => _host.WithToken(("sub", "ops"), ("role", "branch-admin"), ("role", "operator"), ("branch", "*"));

    private static async Task<string> DetailAsync(Task<HttpResponseMessage> call, HttpStatusCode status)
    {
        using var response = await call;
        var problem = await response.JsonAsync(status);
        return problem.TryGetProperty("detail", out var detail) ? detail.GetString()! : problem.ToString();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Test]
    public async Task A_body_or_parameter_the_API_cannot_read_is_told_by_its_field_and_what_it_takes()
    {
        var olga = Operator("paris-01");
        var id = await (await _host.As("ann")).StartAsync("complaint", new { customerId = "c-words" });

        var noBody = await DetailAsync(Central().PostAsync(new Uri("/api/clock", UriKind.Relative), null), HttpStatusCode.BadRequest);
        var wrongShape = await DetailAsync(olga.PostAsync(new Uri($"/api/instances/{id}/modification", UriKind.Relative), Json("{\"reason\":\"x\",\"variables\":[1]}")), HttpStatusCode.BadRequest);
        var wrongNumber = await DetailAsync(olga.GetAsync(new Uri("/api/instances/search?journey=complaint&version=abc", UriKind.Relative)), HttpStatusCode.BadRequest);
        var wrongKind = await DetailAsync(olga.PostAsync(new Uri("/api/batches", UriKind.Relative), Json("{\"kind\":\"nope\",\"selection\":{\"journey\":\"complaint\"},\"reason\":\"x\"}")), HttpStatusCode.BadRequest);
        var noKind = await DetailAsync(olga.PostAsync(new Uri("/api/batches", UriKind.Relative), Json("{\"selection\":{\"journey\":\"complaint\"},\"reason\":\"x\"}")), HttpStatusCode.BadRequest);
        var text = await DetailAsync(olga.PostAsync(new Uri("/api/batches", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(noBody, Is.EqualTo("the request needs a JSON body"));
            Assert.That(wrongShape, Is.EqualTo("variables[0]: an object is expected here"));
            Assert.That(wrongNumber, Is.EqualTo("version: 'abc' is not a whole number"));
            Assert.That(wrongKind, Is.EqualTo("kind: one of cancel, resolveIncidents, modify, migrate is expected here"));
            Assert.That(noKind, Is.EqualTo("the body misses kind, which is required"), "left out, the kind was read as cancel");
            Assert.That(text, Does.StartWith("the body is read as JSON"));
        }
    }

    [Test]
    public async Task A_body_that_is_not_JSON_is_told_by_line_character_and_field_in_plain_words_not_the_readers_message()
    {
        var olga = Operator("paris-01");
        var id = await (await _host.As("ann")).StartAsync("complaint", new { customerId = "c-malformed" });
        Task<string> Cancel(string body) => DetailAsync(olga.PostAsync(new Uri($"/api/instances/{id}/cancellation", UriKind.Relative), Json(body)), HttpStatusCode.BadRequest);

        var prose = await Cancel("cancel it please");
        var xml = await Cancel("<cancellation reason='x'/>");
        var unquoted = await Cancel("{\"reason\": customer withdrew}");
        var broken = await Cancel("{\"reason\": \"customer withdrew\"");
        var missingComma = await Cancel("{\"reason\": \"a\" \"b\": 1}");
        var empty = await Cancel("");
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(prose, Is.EqualTo("the body could not be read as JSON at line 1, character 1: 'c' cannot start a value (text goes in double quotes; true, false and null in lower case)"));
            Assert.That(xml, Is.EqualTo("the body could not be read as JSON at line 1, character 1: it reads '<', as in XML or HTML, where a JSON value starts; send JSON"));
            Assert.That(unquoted, Does.StartWith("the body could not be read as JSON at line 1, character 12 (in reason): 'c' cannot start a value"));
            Assert.That(broken, Does.StartWith("the body could not be read as JSON at line 1").And.EndWith("the body ends before its JSON does: close every string, object and array"));
            Assert.That(missingComma, Does.Contain("'\"' follows a value where a comma or a closing bracket was expected"));
            Assert.That(empty, Is.EqualTo("the request needs a JSON body").Or.Contain("the body is empty"));
            foreach (var detail in new[] { prose, xml, unquoted, broken, missingComma, empty })
            {
                Assert.That(detail, Does.Not.Contain("BytePositionInLine").And.Not.Contain("LineNumber").And.Not.Contain("System.").And.Not.Contain("token"), detail);
            }

            Assert.That(instance.GetProperty("status").GetString(), Is.EqualTo("active"), "nothing was done");
        }
    }

    [Test]
    public async Task A_field_the_API_does_not_know_is_refused_by_name_and_nothing_is_done()
    {
        var olga = Operator("paris-01");
        var id = await (await _host.As("ann")).StartAsync("complaint", new { customerId = "c-unknown-field" });

        var oldName = await DetailAsync(olga.PostAsync(new Uri("/api/batches", UriKind.Relative),
            Json("{\"kind\":\"cancel\",\"selection\":{\"journey\":\"complaint\",\"hasIncident\":true},\"reason\":\"x\"}")), HttpStatusCode.BadRequest);
        var misspelt = await DetailAsync(olga.PostAsync(new Uri($"/api/instances/{id}/modification", UriKind.Relative),
            Json("{\"reason\":\"x\",\"terminat\":[\"register\"],\"variables\":[{\"values\":{\"note\":\"set\"}}]}")), HttpStatusCode.BadRequest);
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(oldName, Does.StartWith("'hasIncident' is not a field this request takes in selection"), "a renamed filter never widens a batch");
            Assert.That(misspelt, Does.StartWith("'terminat' is not a field this request takes"));
            Assert.That(instance.GetProperty("variables").TryGetProperty("note", out _), Is.False, "the rest of the refused command was not done");
        }
    }

    [Test]
    public async Task Refusals_say_what_was_asked_and_what_would_do()
    {
        var olga = Operator("paris-01");

        var otherBranch = await DetailAsync(olga.GetAsync(new Uri("/api/instances/search?branch=lyon-01", UriKind.Relative)), HttpStatusCode.Forbidden);
        var noName = await DetailAsync(olga.GetAsync(new Uri("/api/instances/search?journey=complaint&var.=1", UriKind.Relative)), HttpStatusCode.BadRequest);
        var noComparison = await DetailAsync(olga.GetAsync(new Uri("/api/instances/search?journey=complaint&var.amount.=1", UriKind.Relative)), HttpStatusCode.BadRequest);
        var farFuture = await DetailAsync(Central().PostAsJsonAsync("/api/clock", new { advance = "P100000Y" }), HttpStatusCode.BadRequest);
        var backwards = await DetailAsync(Central().PostAsJsonAsync("/api/clock", new { advance = "-PT1H" }), HttpStatusCode.BadRequest);
        var malformed = await DetailAsync(Central().PostAsJsonAsync("/api/clock", new { advance = "two days" }), HttpStatusCode.BadRequest);
        var emptySelection = await DetailAsync(Central().PostAsJsonAsync("/api/batches", new { kind = "cancel", selection = new { }, reason = "x" }), HttpStatusCode.BadRequest);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(otherBranch, Is.EqualTo("the instances of branch 'lyon-01': olga works for branch 'paris-01' only"));
            Assert.That(noName, Does.StartWith("var.: name a variable after var."));
            Assert.That(noComparison, Does.StartWith("var.amount.: a comparison after the last dot"));
            Assert.That(farFuture, Does.StartWith("advance: the duration is too long").And.Not.Contain("give"));
            Assert.That(backwards, Does.StartWith("advance: a duration runs forward"));
            Assert.That(malformed, Does.StartWith("advance: give milliseconds"));
            Assert.That(emptySelection, Is.EqualTo("selection: give at least one filter (journey, version, branch, incident, instanceIds or variables)"));
        }
    }

    [Test]
    public async Task A_central_team_s_batch_is_to_a_branch_s_operator_as_an_unknown_batch()
    {
        var created = await Central().PostJsonAsync("/api/batches", new { kind = "cancel", selection = new { journey = "no-such-journey" }, reason = "x" }, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();

        var central = await DetailAsync(Operator("paris-01").GetAsync(new Uri($"/api/batches/{id}", UriKind.Relative)), HttpStatusCode.NotFound);
        var unknown = Guid.NewGuid();
        var none = await DetailAsync(Operator("paris-01").GetAsync(new Uri($"/api/batches/{unknown}", UriKind.Relative)), HttpStatusCode.NotFound);

        Assert.That(central, Is.EqualTo(none.Replace(unknown.ToString(), id, StringComparison.Ordinal)));
    }

    [Test]
    public async Task Another_branch_s_instance_task_and_incident_answer_in_the_words_of_an_unknown_id()
    {
        var omar = await _host.As("omar");
        var lyon = await omar.StartAsync("complaint", new { customerId = "c-lyon-words" }, branch: "lyon-01");
        var task = await omar.TaskAsync(lyon, "register");
        var paris = Operator("paris-01");
        var ann = await _host.As("ann");
        var sofia = await _host.As("sofia");
        async Task<(HttpStatusCode, string)> Get(HttpClient client, string url)
        {
            using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
            var body = await response.JsonAsync();
            return (response.StatusCode, body.GetProperty("detail").GetString()!);
        }

        var unknown = Guid.NewGuid().ToString();
        var cases = new (HttpClient Client, string Url)[]
        {
            (ann, "/api/instances/{0}"), (sofia, "/api/instances/{0}/clocks"), (paris, "/api/instances/{0}/inspection"), (ann, "/api/instances/{0}/journey"),
        };

        using (Assert.EnterMultipleScope())
        {
            foreach (var (client, url) in cases)
            {
                var (status, detail) = await Get(client, string.Format(System.Globalization.CultureInfo.InvariantCulture, url, lyon));
                var (_, none) = await Get(client, string.Format(System.Globalization.CultureInfo.InvariantCulture, url, unknown));
                Assert.That((status, detail), Is.EqualTo((HttpStatusCode.NotFound, none.Replace(unknown, lyon, StringComparison.Ordinal))), url);
            }

            var (taskStatus, taskDetail) = await Get(ann, $"/api/tasks/{task}");
            var (_, noTask) = await Get(ann, $"/api/tasks/{unknown}");
            Assert.That((taskStatus, taskDetail), Is.EqualTo((HttpStatusCode.NotFound, noTask.Replace(unknown, task, StringComparison.Ordinal))));
        }
    }
}
