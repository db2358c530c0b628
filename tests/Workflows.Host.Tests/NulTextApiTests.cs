using System.Net;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// A NUL character (U+0000, <c>\u0000</c> in JSON, <c>%00</c> in a URL) in any text the API takes: PostgreSQL's text
/// refused it with a raw driver error (a 500) where SQLite kept it. On both stores it is now a 400 naming the field,
/// and nothing is stored.
/// </summary>
[TestFixture(Backend.Sqlite)]
[TestFixture(Backend.PostgreSqlAndRabbitMq)]
[NonParallelizable]
public sealed class NulTextApiTests(Backend backend) : HostFixture(backend)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Test]
    public async Task A_nul_in_a_business_key_a_branch_or_a_variable_of_a_start_is_refused_naming_the_field_and_nothing_starts()
    {
        var ann = await As("ann");
        Task<HttpResponseMessage> Start(string body) => ann.PostAsync(new Uri("/api/instances", UriKind.Relative), Json(body));

        using var key = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"NUL-1\u0000x","variables":{"customerId":"c-1"}}""");
        using var branch = await Start("""{"journey":"complaint","branch":"paris-01\u0000","businessKey":"NUL-2","variables":{"customerId":"c-1"}}""");
        using var variable = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"NUL-3","variables":{"customerId":"c-1","summary":"charged\u0000twice"}}""");
        using var deeper = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"NUL-4","variables":{"customerId":"c-1","claim":{"lines":["ok","x\u0000"]}}}""");
        using var name = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"NUL-5","variables":{"customerId":"c-1","claim":{"a\u0000b":1}}}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await key.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("businessKey: a text holds a NUL character"));
            Assert.That(await branch.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("branch: a text holds a NUL character"));
            Assert.That(await variable.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variables.summary holds a NUL character"));
            Assert.That(await deeper.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variables.claim.lines[1] holds a NUL character"));
            Assert.That(await name.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variables.claim: a name holds a NUL character"));
            foreach (var started in new[] { "NUL-2", "NUL-3", "NUL-4", "NUL-5" })
            {
                Assert.That((await (await As("sofia")).GetJsonAsync($"/api/instances?businessKey={started}")).GetArrayLength(), Is.Zero, started);
            }
        }
    }

    [Test]
    public async Task A_nul_in_a_filter_a_queue_a_comment_a_message_or_a_drafts_name_is_refused_naming_the_field()
    {
        var ann = await As("ann");
        using var filter = await (await As("sofia")).GetAsync(new Uri("/api/instances?businessKey=NUL%00-6", UriKind.Relative));
        using var queue = await ann.PostAsync(new Uri("/api/tasks/next", UriKind.Relative), Json("""{"queues":["front-desk\u0000"]}"""));
        using var comment = await ann.PostAsync(new Uri($"/api/tasks/{Guid.NewGuid()}/comment", UriKind.Relative), Json("""{"text":"called\u0000back"}"""));
        using var message = await ann.PostAsync(new Uri("/api/messages", UriKind.Relative), Json("""{"name":"HardeningReply","correlationKey":"NUL-7\u0000"}"""));
        using var draft = await (await As("alice")).PostAsync(new Uri("/api/drafts", UriKind.Relative), Json("""{"name":"claims\u0000v2","xml":"<definitions/>"}"""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await filter.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("the query parameter 'businessKey' holds a NUL character"));
            Assert.That(await queue.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("queues[0]: a text holds a NUL character"));
            Assert.That(await comment.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("text: a text holds a NUL character"));
            Assert.That(await message.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("correlationKey: a text holds a NUL character"));
            Assert.That(await draft.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("name: a text holds a NUL character"));
        }
    }
}
