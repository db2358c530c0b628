using System.Net;
using System.Text;
using Workflows.Engine.Runtime;

namespace Workflows.Host.Tests;

/// <summary>
/// A NUL character (U+0000, <c>\u0000</c> in JSON, <c>%00</c> in a URL) or an unpaired surrogate (an escaped
/// <c>\ud800</c>) in any text the API takes: PostgreSQL's text refused a NUL with a raw driver error (a 500) where SQLite
/// kept it, and the body's reader answered a surrogate in a business key "a string is expected here". On both stores
/// each is now a 400 naming the field, in one wording whatever checked it (the body's reader, the query's check, a
/// handler's rule, the engine), and nothing is stored.
/// </summary>
[TestFixture(Backend.Sqlite)]
[TestFixture(Backend.PostgreSqlAndRabbitMq)]
[NonParallelizable]
public sealed class NulTextApiTests(Backend backend) : HostFixture(backend)
{
    // A draft's XML: a BPMN document's root, which is all a draft needs.
    private const string DraftXml = "<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'/>";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, string body)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative)) { Content = Json(body) };
        return await client.SendAsync(request);
    }

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
        using var topName = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"NUL-6","variables":{"customerId":"c-1","a\u0000b":1}}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await key.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("businessKey")));
            Assert.That(await branch.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("branch")));
            Assert.That(await variable.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("variables.summary")));
            Assert.That(await deeper.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("variables.claim.lines[1]")));
            Assert.That(await name.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("variables.claim: a name")));
            Assert.That(await topName.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("variables: a name")));
            foreach (var started in new[] { "NUL-2", "NUL-3", "NUL-4", "NUL-5", "NUL-6" })
            {
                Assert.That((await (await As("sofia")).GetJsonAsync($"/api/instances?businessKey={started}")).GetArrayLength(), Is.Zero, started);
            }
        }
    }

    [Test]
    public async Task A_nul_in_a_filter_a_queue_a_comment_a_message_or_a_drafts_name_is_refused_in_the_same_words_whichever_check_finds_it()
    {
        var ann = await As("ann");
        var alice = await As("alice");
        var draft = (await alice.PostJsonAsync("/api/drafts", new { name = "NUL rename", xml = DraftXml }, HttpStatusCode.Created)).GetProperty("id").GetString();
        using var filter = await (await As("sofia")).GetAsync(new Uri("/api/instances?businessKey=NUL%00-6", UriKind.Relative));
        using var queue = await ann.PostAsync(new Uri("/api/tasks/next", UriKind.Relative), Json("""{"queues":["front-desk\u0000"]}"""));
        using var comment = await ann.PostAsync(new Uri($"/api/tasks/{Guid.NewGuid()}/comment", UriKind.Relative), Json("""{"text":"called\u0000back"}"""));
        using var message = await ann.PostAsync(new Uri("/api/messages", UriKind.Relative), Json("""{"name":"HardeningReply","correlationKey":"NUL-7\u0000"}"""));
        using var created = await alice.PostAsync(new Uri("/api/drafts", UriKind.Relative), Json("""{"name":"claims\u0000v2","xml":"<definitions/>"}"""));
        using var renamed = await SendAsync(alice, HttpMethod.Patch, $"/api/drafts/{draft}", """{"name":"claims\u0000v2"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await filter.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("the query parameter 'businessKey'")));
            Assert.That(await queue.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("queues[0]")));
            Assert.That(await comment.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("text")));
            Assert.That(await message.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("correlationKey")));
            Assert.That(await created.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("name")), "a new draft");
            Assert.That(await renamed.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.NulProblem("name")), "a draft renamed: the same words as a new one");
        }
    }

    [Test]
    public async Task An_unpaired_surrogate_in_any_text_the_api_takes_is_refused_naming_the_field_in_one_wording()
    {
        var ann = await As("ann");
        var alice = await As("alice");
        var instance = await ann.StartAsync("complaint", new { customerId = "c-1" }, businessKey: "SUR-0");
        var task = await ann.TaskAsync(instance, "register");
        var draft = (await alice.PostJsonAsync("/api/drafts", new { name = "Surrogate rename", xml = DraftXml }, HttpStatusCode.Created)).GetProperty("id").GetString();
        Task<HttpResponseMessage> Post(HttpClient client, string url, string body) => client.PostAsync(new Uri(url, UriKind.Relative), Json(body));
        var refusals = new (string Field, Task<HttpResponseMessage> Response)[]
        {
            ("businessKey", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-1\ud800"}""")),
            ("branch", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01\udc00","businessKey":"SUR-2"}""")),
            ("variables.summary", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-3","variables":{"customerId":"c-1","summary":"x\ud800"}}""")),
            ("variables.claim.lines[1]", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-4","variables":{"customerId":"c-1","claim":{"lines":["ok","\ud800"]}}}""")),
            ("variables.claim: a name", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-5","variables":{"customerId":"c-1","claim":{"a\ud800":1}}}""")),
            ("variables: a name", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-9","variables":{"customerId":"c-1","a\ud800":1}}""")),
            ("the body: a name", Post(ann, "/api/instances", """{"journey":"complaint","branch":"paris-01","businessKey":"SUR-10","a\ud800":1}""")),
            ("name", Post(ann, "/api/messages", """{"name":"Hardening\ud800","correlationKey":"SUR-6"}""")),
            ("correlationKey", Post(ann, "/api/messages", """{"name":"HardeningReply","correlationKey":"SUR-7\ud800"}""")),
            ("variables.reply", Post(ann, "/api/messages", """{"name":"HardeningReply","correlationKey":"SUR-8","variables":{"reply":"\ud800"}}""")),
            ("queues[0]", Post(ann, "/api/tasks/next", """{"queues":["front-desk\ud800"]}""")),
            ("text", Post(ann, $"/api/tasks/{task}/comment", """{"text":"called\ud800back"}""")),
            ("to", Post(ann, $"/api/tasks/{task}/delegate", """{"to":"omar\ud800"}""")),
            ("variables.summary", Post(ann, $"/api/tasks/{task}/complete", """{"variables":{"category":"billing","amount":1,"summary":"x\ud800"}}""")),
            ("name", Post(alice, "/api/drafts", """{"name":"claims\ud800","xml":"<definitions/>"}""")),
            ("processId", Post(alice, "/api/drafts", """{"name":"claims","xml":"<definitions/>","processId":"p\ud800"}""")),
            ("name", SendAsync(alice, HttpMethod.Patch, $"/api/drafts/{draft}", """{"name":"claims\ud800"}""")),
        };

        using (Assert.EnterMultipleScope())
        {
            foreach (var (field, response) in refusals)
            {
                using var refused = await response;
                Assert.That(await refused.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo(StorableText.SurrogateProblem(field)),
                    $"{refused.RequestMessage!.Method} {refused.RequestMessage.RequestUri}");
            }

            Assert.That((await (await As("sofia")).GetJsonAsync("/api/instances?businessKey=SUR-3")).GetArrayLength(), Is.Zero, "nothing started");
            Assert.That(await ann.TaskAsync(instance, "register"), Is.EqualTo(task), "the task is still open");
        }
    }
}
