using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 13's input leftovers (review10-13 F12): a route's malformed id, a field or variable given twice, a variable name no
/// expression can read and a message for a branch that does not exist are each refused as a problem naming what is wrong,
/// and nothing of the request is done.
/// </summary>
[NonParallelizable]
public sealed class InputHardeningTests
{
    private const string NotAnId = "not-an-id";

    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start();
        await HardeningProcess.DeployAsync(_host);
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    // Every role (and a worker), for every branch: no route refuses it before its id is read.
    private HttpClient Everyone() => _host.WithToken(("sub", "root"), ("role", "analyst"), ("role", "branch-admin"), ("role", "agent"), ("role", "supervisor"),
        ("role", "operator"), ("role", "customer"), ("role", "worker"), ("branch", "*"), ("queue", "front-desk"), ("customer", "c-root"));

    private HttpClient Operator() => _host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", "paris-01"));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<int> InstancesWithKeyAsync(string businessKey) =>
        (await (await _host.As("sofia")).GetJsonAsync($"/api/instances?businessKey={businessKey}")).GetArrayLength();

    /// <summary>Every API route with an id or a number in its path, with the names and types its handler reads them as.</summary>
    private IEnumerable<(string Method, RoutePatternView Route, string Parameter, Type Type)> TypedRouteValues()
    {
        var sources = _host.Factory.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            if (!pattern.StartsWith("/api/", StringComparison.Ordinal) || endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler)
            {
                continue;
            }

            var types = handler.GetParameters().Where(p => p.Name is not null).ToDictionary(p => p.Name!, p => Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType);
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                foreach (var parameter in endpoint.RoutePattern.Parameters)
                {
                    if (types.TryGetValue(parameter.Name, out var type) && (type == typeof(Guid) || type == typeof(int) || type == typeof(long)))
                    {
                        yield return (method, new RoutePatternView(endpoint.RoutePattern, types), parameter.Name, type);
                    }
                }
            }
        }
    }

    [Test]
    public async Task Every_route_whose_id_or_number_is_malformed_answers_400_naming_the_parameter_and_what_it_takes()
    {
        var client = Everyone();
        var routes = TypedRouteValues().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(routes.Select(r => r.Route.Pattern.RawText), Does.Contain("/api/instances/{id}").And.Contain("/api/jobs/{id}/completion")
                .And.Contain("/api/definitions/{processId}/versions/{version}/xml").And.Contain("/api/instances/{id}/answers/{taskId}"), "the routes are found");
            Assert.That(routes, Has.Count.GreaterThan(30));
            foreach (var (method, route, parameter, type) in routes)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), route.Url(parameter, NotAnId));
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = Json("{}");
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var what = type == typeof(Guid) ? "is not an id (a GUID" : "is not a whole number";
                Assert.That(((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType), Is.EqualTo((400, "application/problem+json")), $"{method} {route.Pattern.RawText}: {body}");
                Assert.That(body.Length == 0 ? "" : JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), Does.StartWith($"{parameter}: '{NotAnId}' {what}"),
                    $"{method} {route.Pattern.RawText}");
            }
        }
    }

    [Test]
    public async Task A_malformed_id_is_told_before_the_body_is_read_and_a_well_formed_unknown_id_stays_a_404()
    {
        var walt = await _host.As("walt");
        var sofia = await _host.As("sofia");

        using var job = await walt.PostAsync(new Uri("/api/jobs/xyz/completion", UriKind.Relative), Json("not json at all"));
        using var instance = await sofia.GetAsync(new Uri("/api/instances/not-a-guid", UriKind.Relative));
        using var unknown = await sofia.GetAsync(new Uri($"/api/instances/{Guid.NewGuid()}", UriKind.Relative));
        using var anonymous = await _host.Anonymous().GetAsync(new Uri("/api/instances/not-a-guid", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await job.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("id: 'xyz' is not an id (a GUID such as"));
            Assert.That(await instance.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("id: 'not-a-guid' is not an id"));
            Assert.That(await unknown.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("does not exist"));
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "who may ask is settled first");
        }
    }

    [Test]
    public async Task A_field_or_variable_given_twice_is_refused_naming_it_at_every_depth_and_nothing_starts()
    {
        var ann = await _host.As("ann");
        Task<HttpResponseMessage> Start(string body) => ann.PostAsync(new Uri("/api/instances", UriKind.Relative), Json(body));

        using var variable = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"DUP-1","variables":{"customerId":"c-1","customerId":"c-2"}}""");
        using var field = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"DUP-2","businessKey":"DUP-3","variables":{"customerId":"c-1"}}""");
        using var nested = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"DUP-4","variables":{"customerId":"c-1","claim":{"amount":1,"amount":900}}}""");
        using var deeper = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"DUP-5","variables":{"customerId":"c-1","claim":{"lines":[{"sku":"a","sku":"b"}]}}}""");
        using var once = await Start("""{"journey":"complaint","branch":"paris-01","businessKey":"DUP-6","variables":{"customerId":"c-1","claim":{"amount":1}}}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await variable.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'customerId' is given twice in variables"));
            Assert.That(await field.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'businessKey' is given twice in the body"));
            Assert.That(await nested.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'amount' is given twice in variables.claim"));
            Assert.That(await deeper.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'sku' is given twice in variables.claim"), "named with the variable it is in");
            Assert.That(once.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            foreach (var key in new[] { "DUP-1", "DUP-2", "DUP-3", "DUP-4", "DUP-5" })
            {
                Assert.That(await InstancesWithKeyAsync(key), Is.Zero, key);
            }
        }
    }

    [Test]
    public async Task A_repair_reason_or_a_message_field_given_twice_is_refused_and_nothing_moves()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: "DUP-MSG");

        using var reason = await Operator().PostAsync(new Uri($"/api/instances/{id}/modification", UriKind.Relative),
            Json("""{"reason":"typo fixed","reason":"something else","variables":[{"values":{"note":"x"}}]}"""));
        using var message = await ann.PostAsync(new Uri("/api/messages", UriKind.Relative),
            Json("""{"name":"HardeningReply","correlationKey":"DUP-MSG","correlationKey":"DUP-OTHER"}"""));
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await reason.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'reason' is given twice in the body"));
            Assert.That(await message.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("'correlationKey' is given twice in the body"));
            Assert.That(instance.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "reply" }));
            Assert.That(instance.GetProperty("variables").TryGetProperty("note", out _), Is.False);
        }
    }

    [Test]
    public async Task A_variable_named_empty_or_with_a_dot_is_refused_naming_it_on_start_message_and_repair_and_nothing_is_done()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: "NAMES-1");

        using var dotted = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = "NAMES-2", variables = new Dictionary<string, object> { ["customerId"] = "c-1", ["a.b"] = 1 } });
        using var empty = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = "NAMES-3", variables = new Dictionary<string, object> { ["customerId"] = "c-1", [""] = 2 } });
        using var message = await ann.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "NAMES-1", variables = new Dictionary<string, object> { ["reply.text"] = "yes" } });
        using var repair = await Operator().PostAsJsonAsync($"/api/instances/{id}/modification", new { reason = "set a note", variables = new[] { new { values = new Dictionary<string, object> { [""] = "x" } } } });
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await dotted.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variable 'a.b': a name holds no '.'"));
            Assert.That(await empty.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("a variable's name is empty"));
            Assert.That(await message.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variable 'reply.text'"));
            Assert.That(await repair.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("a variable's name is empty"));
            Assert.That(await InstancesWithKeyAsync("NAMES-2") + await InstancesWithKeyAsync("NAMES-3"), Is.Zero);
            Assert.That(instance.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "reply" }), "the message moved nothing");
        }
    }

    [Test]
    public async Task A_message_for_a_branch_that_does_not_exist_is_refused_naming_it_and_not_buffered()
    {
        var omar = await _host.As("omar");

        using var buffered = await omar.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "NOWHERE-1", branch = "nowhere", timeToLive = "PT1H" });
        using var now = await omar.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "NOWHERE-2", branch = "nowhere" });
        var id = await (await _host.As("ann")).StartAsync(HardeningProcess.Id, businessKey: "NOWHERE-1");
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await buffered.ProblemAsync(HttpStatusCode.NotFound), Is.EqualTo("branch 'nowhere' does not exist"));
            Assert.That(await now.ProblemAsync(HttpStatusCode.NotFound), Is.EqualTo("branch 'nowhere' does not exist"));
            Assert.That(instance.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "reply" }),
                "no message for its key was buffered to take");
        }
    }

    /// <summary>A route's pattern with its other parameters filled with values of their kind.</summary>
    private sealed record RoutePatternView(Microsoft.AspNetCore.Routing.Patterns.RoutePattern Pattern, Dictionary<string, Type> Types)
    {
        public Uri Url(string parameter, string value)
        {
            var path = Pattern.RawText!;
            foreach (var other in Pattern.Parameters)
            {
                var filler = other.Name == parameter ? value
                    : Types.GetValueOrDefault(other.Name) == typeof(Guid) ? Guid.NewGuid().ToString()
                    : Types.GetValueOrDefault(other.Name) is { } t && (t == typeof(int) || t == typeof(long)) ? "1"
                    : "x";
                path = path.Replace("{" + other.Name + "}", filler, StringComparison.Ordinal);
            }

            return new Uri(path, UriKind.Relative);
        }
    }
}
