using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// A start retried with its <c>Idempotency-Key</c> (the IETF httpapi draft) answers the first start's case: the same id
/// and case number, never a second case; the key with another body is refused (422), a bad key is refused (400), and a
/// key is the caller's own.
/// </summary>
[NonParallelizable]
public sealed class IdempotencyKeyApiTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start();

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static async Task<HttpResponseMessage> StartAsync(HttpClient client, object body, params string[] keys)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/instances", UriKind.Relative)) { Content = JsonContent.Create(body) };
        foreach (var key in keys)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        return await client.SendAsync(request);
    }

    private static object Complaint(string summary) => new { journey = "complaint", branch = "paris-01", variables = new { summary } };

    [Test]
    public async Task A_start_retried_with_its_key_answers_the_first_case_with_its_case_number_and_starts_no_other()
    {
        var ann = await _host.As("ann");

        using var first = await StartAsync(ann, Complaint("charged twice"), "\"ann-key-1\"");
        using var retry = await StartAsync(ann, Complaint("charged twice"), "\"ann-key-1\"");
        using var bare = await StartAsync(ann, Complaint("charged twice"), "ann-key-1");
        var started = await first.JsonAsync(HttpStatusCode.Created);
        var repeated = await retry.JsonAsync(HttpStatusCode.Created);
        var caseNumber = started.GetProperty("businessKey").GetString()!;
        var cases = await ann.GetJsonAsync($"/api/instances?journey=complaint&businessKey={caseNumber}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(repeated.GetProperty("id").GetString(), Is.EqualTo(started.GetProperty("id").GetString()));
            Assert.That(repeated.GetProperty("businessKey").GetString(), Is.EqualTo(caseNumber), "the first start's generated case number, not a new one");
            Assert.That(retry.Headers.Location, Is.EqualTo(first.Headers.Location));
            Assert.That(first.Headers.Contains("Idempotent-Replayed"), Is.False);
            Assert.That(retry.Headers.GetValues("Idempotent-Replayed"), Is.EqualTo(new[] { "true" }));
            Assert.That((await bare.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString(), Is.EqualTo(started.GetProperty("id").GetString()), "a bare key is the same key as its quoted form");
            Assert.That(cases.GetArrayLength(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task The_same_key_with_another_body_is_refused_with_a_problem_naming_the_key()
    {
        var ann = await _host.As("ann");
        using var first = await StartAsync(ann, Complaint("late delivery"), "\"ann-key-2\"");
        await first.JsonAsync(HttpStatusCode.Created);

        using var other = await StartAsync(ann, Complaint("something else"), "\"ann-key-2\"");
        var problem = await other.JsonAsync(HttpStatusCode.UnprocessableEntity);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(other.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.GetProperty("title").GetString(), Does.Contain("Idempotency-Key"));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("'ann-key-2'"));
            Assert.That(problem.GetProperty("idempotencyKey").GetString(), Is.EqualTo("ann-key-2"));
        }
    }

    [Test]
    public async Task A_bad_key_is_refused_naming_the_header_and_starts_nothing()
    {
        var ann = await _host.As("ann");
        var before = (await ann.GetJsonAsync("/api/instances?journey=complaint&max=200")).GetArrayLength();

        using var empty = await StartAsync(ann, Complaint("bad key"), "\"\"");
        using var tooLong = await StartAsync(ann, Complaint("bad key"), new string('k', 256));
        using var twice = await StartAsync(ann, Complaint("bad key"), "\"a\"", "\"b\"");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await empty.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("Idempotency-Key").And.Contains("empty"));
            Assert.That(await tooLong.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("Idempotency-Key").And.Contains("255"));
            Assert.That(await twice.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("Idempotency-Key").And.Contains("once"));
            Assert.That((await ann.GetJsonAsync("/api/instances?journey=complaint&max=200")).GetArrayLength(), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task A_key_is_the_caller_s_own_so_another_customer_or_agent_with_the_same_key_gets_a_case_of_their_own()
    {
        var carla = await _host.As("carla");
        var dora = _host.WithToken(("sub", "dora"), ("role", "customer"), ("customer", "cust-2002"));
        var ann = await _host.As("ann");
        var omar = await _host.As("omar");

        var carlas = await (await StartAsync(carla, Complaint("my router"), "\"shared-key\"")).JsonAsync(HttpStatusCode.Created);
        var doras = await (await StartAsync(dora, Complaint("my router"), "\"shared-key\"")).JsonAsync(HttpStatusCode.Created);
        var carlasAgain = await (await StartAsync(carla, Complaint("my router"), "\"shared-key\"")).JsonAsync(HttpStatusCode.Created);
        var anns = await (await StartAsync(ann, Complaint("my router"), "\"shared-key\"")).JsonAsync(HttpStatusCode.Created);
        var omars = await (await StartAsync(omar, Complaint("my router"), "\"shared-key\"")).JsonAsync(HttpStatusCode.Created);
        var ids = new[] { carlas, doras, anns, omars }.Select(s => s.GetProperty("id").GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids.Distinct().Count(), Is.EqualTo(4), "four callers, four cases");
            Assert.That(carlasAgain.GetProperty("id").GetString(), Is.EqualTo(ids[0]));
            using var dorasView = await dora.GetAsync(new Uri($"/api/instances/{ids[1]}", UriKind.Relative));
            Assert.That(dorasView.StatusCode, Is.EqualTo(HttpStatusCode.OK), "dora's key reached her own case");
        }
    }
}
