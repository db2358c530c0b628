using System.Net;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The OpenAPI document describes every operation fully: a schema for each answer with a body, problem details for the
/// errors, and the bearer scheme on every operation that needs a token; the API reference page that reads it is served
/// under the host's Content-Security-Policy.
/// </summary>
[NonParallelizable]
public sealed class OpenApiTests
{
    /// <summary>The operations anyone may call: the sign-in and what a page needs before it.</summary>
    private static readonly string[] Open = ["SignIn", "SignOut", "Antiforgery"];

    private TestHost _host = null!;
    private JsonElement _document;

    [OneTimeSetUp]
    public async Task ReadTheDocument()
    {
        _host = TestHost.Start();
        _document = JsonDocument.Parse(await _host.Anonymous().GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private IEnumerable<(string Name, JsonElement Operation)> Operations() =>
        _document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(m => m.Name is "get" or "post" or "put" or "delete" or "patch")
            .Select(m => ($"{m.Name.ToUpperInvariant()} {path.Name} ({(m.Value.TryGetProperty("operationId", out var id) ? id.GetString() : "no id")})", m.Value)));

    private static bool HasSchema(JsonElement response) =>
        response.TryGetProperty("content", out var content) && content.EnumerateObject().Any() && content.EnumerateObject().All(c => c.Value.TryGetProperty("schema", out _));

    [Test]
    public void Every_operation_has_a_schema_for_each_answer_with_a_body_and_problem_details_for_its_errors()
    {
        var operations = Operations().ToList();

        Assert.That(operations, Has.Count.GreaterThan(30));
        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, operation) in operations)
            {
                var responses = operation.GetProperty("responses").EnumerateObject().ToList();
                Assert.That(responses.Where(r => r.Name.StartsWith('2')), Is.Not.Empty, $"{name}: no success answer");
                foreach (var response in responses.Where(r => r.Name != "204"))
                {
                    Assert.That(HasSchema(response.Value), Is.True, $"{name}: the {response.Name} answer has no schema");
                }

                var problems = responses.Where(r => r.Name.StartsWith('4')).ToList();
                if (!name.EndsWith("(Antiforgery)", StringComparison.Ordinal))
                {
                    // The antiforgery token is handed to anyone: it has no error of its own to describe.
                    Assert.That(problems, Is.Not.Empty, $"{name}: no error answer");
                }

                Assert.That(problems.All(p => p.Value.GetProperty("content").TryGetProperty("application/problem+json", out _)), Is.True, $"{name}: an error that is not problem details");
            }
        }
    }

    [Test]
    public void Every_operation_but_the_sign_in_names_the_bearer_scheme_and_the_roles_it_serves()
    {
        var scheme = _document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(scheme.GetProperty("type").GetString(), Is.EqualTo("http"));
            Assert.That(scheme.GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
            Assert.That(scheme.GetProperty("bearerFormat").GetString(), Is.EqualTo("JWT"));
            foreach (var (name, operation) in Operations())
            {
                var secured = operation.TryGetProperty("security", out var security) && security.EnumerateArray().Any(r => r.TryGetProperty("Bearer", out _));
                if (Open.Any(o => name.EndsWith($"({o})", StringComparison.Ordinal)))
                {
                    Assert.That(secured, Is.False, $"{name} is open");
                    continue;
                }

                Assert.That(secured, Is.True, $"{name}: no bearer security requirement");
                Assert.That(operation.TryGetProperty("description", out var d) ? d.GetString() : "", Does.Contain("Roles: "), $"{name}: the roles it serves are not said");
            }
        }
    }

    [Test]
    public async Task The_API_reference_page_is_served_with_a_nonce_the_security_policy_allows_and_no_other_origin()
    {
        using var response = await _host.Anonymous().GetAsync(new Uri("/api-reference/", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = System.Text.RegularExpressions.Regex.Match(policy, "'nonce-([^']+)'").Groups[1].Value;
        using var script = await _host.Anonymous().GetAsync(new Uri("/api-reference/scalar.js", UriKind.Relative));
        using var again = await _host.Anonymous().GetAsync(new Uri("/api-reference/", UriKind.Relative));
        using var inbox = await _host.Anonymous().GetAsync(new Uri("/signin", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(nonce, Is.Not.Empty, policy);
            Assert.That(html, Does.Contain($"nonce=\"{nonce}\"").And.Contain("openapi/v1.json"));
            Assert.That(html, Does.Not.Contain("https://"), "no script, font or style from another origin");
            Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(again.Headers.GetValues("Content-Security-Policy").Single(), Does.Not.Contain(nonce), "a fresh nonce per answer");
            Assert.That(inbox.Headers.GetValues("Content-Security-Policy").Single(), Does.Not.Contain("nonce-"), "the other pages keep script-src 'self'");
        }
    }
}
