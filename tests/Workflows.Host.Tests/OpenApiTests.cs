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
    public void Request_schemas_require_exactly_the_properties_the_API_refuses_to_go_without()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas").EnumerateObject().Where(s => s.Name.EndsWith("Request", StringComparison.Ordinal)).ToList();
        var nullability = new System.Reflection.NullabilityInfoContext();

        Assert.That(schemas, Has.Count.GreaterThan(15));
        using (Assert.EnterMultipleScope())
        {
            foreach (var schema in schemas)
            {
                var type = typeof(Program).Assembly.GetTypes().Single(t => t.Name == schema.Name);
                // A record's parameter that may be null (or has a default) may be left out; one that may not is required.
                // A nullable one the handler refuses to go without (it says so in the API's words) is marked [RequiredInApi].
                var expected = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters()
                    .Where(p => (!p.HasDefaultValue && nullability.Create(p).WriteState != System.Reflection.NullabilityState.Nullable)
                        || type.GetProperty(p.Name!)!.GetCustomAttributes(inherit: false).Any(a => a.GetType().Name == "RequiredInApiAttribute"))
                    .Select(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name!)).Order().ToList();
                var required = schema.Value.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).Order().ToList() : [];
                Assert.That(required, Is.EqualTo(expected), $"{schema.Name}: required");
            }
        }
    }

    [Test]
    public void A_cancellation_a_modification_a_batch_and_a_migration_require_their_reason_and_a_migration_its_journey_and_target_version()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas");
        List<string> Required(string schema) => schemas.GetProperty(schema).TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).Order().ToList() : [];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Required("CancellationRequest"), Is.EqualTo(new[] { "reason" }));
            Assert.That(Required("ModificationRequest"), Is.EqualTo(new[] { "reason" }));
            Assert.That(Required("BatchRequest"), Is.EqualTo(new[] { "kind", "reason", "selection" }));
            Assert.That(Required("MigrationRequest"), Is.EqualTo(new[] { "journey", "reason", "targetVersion" }));
            Assert.That(Required("MigrationDryRunRequest"), Is.EqualTo(new[] { "journey", "targetVersion" }), "a dry run writes no reason");
        }
    }

    [Test]
    public void No_description_or_summary_names_a_dotnet_type_or_member()
    {
        var texts = new List<string>();
        void Collect(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "description" or "summary" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        texts.Add(property.Value.GetString()!);
                    }

                    Collect(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item);
                }
            }
        }

        Collect(_document);
        var dotnet = new System.Text.RegularExpressions.Regex(@"\b(System|Microsoft|Workflows)\.[A-Z]|\b[A-Z][a-z]+[A-Z][A-Za-z]*\.[A-Z][A-Za-z]+\b|\w+\? \w");

        Assert.That(texts, Has.Count.GreaterThan(50));
        Assert.That(texts.Where(t => dotnet.IsMatch(t)), Is.Empty);
    }

    [Test]
    public void The_clock_takes_pin_or_advance_and_requires_neither()
    {
        var clock = _document.GetProperty("components").GetProperty("schemas").GetProperty("ClockRequest");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.TryGetProperty("required", out var required) ? required.GetArrayLength() : 0, Is.Zero);
            Assert.That(clock.GetProperty("properties").GetProperty("pin").TryGetProperty("description", out var pin) ? pin.GetString() : "", Does.Contain("not both"), clock.ToString());
            Assert.That(clock.GetProperty("properties").GetProperty("advance").ToString(), Does.Contain("not both"), clock.ToString());
        }
    }

    [Test]
    public void Commands_document_their_conflicts_and_the_search_its_variable_filters()
    {
        var operations = Operations().ToDictionary(o => o.Name[(o.Name.LastIndexOf('(') + 1)..^1], o => o.Operation, StringComparer.Ordinal);
        static IEnumerable<string> Statuses(JsonElement operation) => operation.GetProperty("responses").EnumerateObject().Select(r => r.Name);
        var search = operations["SearchInstances"].GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            foreach (var command in new[] { "ModifyInstance", "PauseBatch", "ResumeBatch", "CancelInstance", "RetryIncident", "CreateBatch", "CompleteJob" })
            {
                Assert.That(Statuses(operations[command]), Does.Contain("409"), command);
            }

            Assert.That(Statuses(operations["Validate"]), Does.Not.Contain("409"), "a validation changes nothing");
            Assert.That(Statuses(operations["CreateBatch"]), Does.Contain("413").And.Contain("415"));
            Assert.That(search, Does.Contain("incident").And.Contain("var.{name}[.{comparison}]"));
            Assert.That(operations["QueryTasks"].GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()), Does.Contain("var.{name}[.{comparison}]"));
        }
    }

    [Test]
    public void The_branch_calendar_is_read_as_its_layers_and_set_with_its_yearly_holidays_and_working_days()
    {
        var operations = Operations().ToDictionary(o => o.Name[(o.Name.LastIndexOf('(') + 1)..^1], o => o.Operation, StringComparer.Ordinal);
        var schemas = _document.GetProperty("components").GetProperty("schemas");
        var read = operations["GetBranchCalendar"].GetProperty("responses");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(), Does.EndWith("/BranchCalendar"));
            Assert.That(read.EnumerateObject().Select(r => r.Name), Does.Contain("403").And.Contain("404"));
            Assert.That(schemas.GetProperty("BranchCalendar").GetProperty("properties").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "chain", "layer", "layers", "scheduled" }));
            Assert.That(schemas.GetProperty("CalendarRequest").GetProperty("properties").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "week", "holidays", "yearlyHolidays", "workingDays" }));
        }
    }

    [Test]
    public void The_comparison_documents_its_pools_and_element_changes_and_the_draft_its_size_limit()
    {
        var operations = Operations().ToDictionary(o => o.Name[(o.Name.LastIndexOf('(') + 1)..^1], o => o.Operation, StringComparer.Ordinal);
        var schemas = _document.GetProperty("components").GetProperty("schemas");
        var comparison = schemas.GetProperty("DefinitionComparison").GetProperty("properties");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(operations["CompareDraft"].GetProperty("responses").EnumerateObject().Select(r => r.Name), Does.Contain("200").And.Contain("413").And.Contain("400"));
            Assert.That(comparison.EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "added", "removed", "changed", "redrawn", "layoutOnly", "summary", "processes", "collaboration" }));
            Assert.That(schemas.GetProperty("PropertyChange").GetProperty("properties").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "aspect", "property", "before", "after", "text" }));
        }
    }

    [Test]
    public async Task Every_answer_to_wrong_input_is_one_the_operation_documents()
    {
        var answers = await OperationSweep.RunAsync(_host);

        Assert.That(answers, Has.Count.GreaterThan(200));
        using (Assert.EnterMultipleScope())
        {
            foreach (var answer in answers)
            {
                Assert.That(answer.Documented, Does.Contain(((int)answer.Status).ToString(System.Globalization.CultureInfo.InvariantCulture)), answer.ToString());
            }
        }
    }

    [Test]
    public async Task The_API_reference_page_shows_no_toolbar_of_scalars_own_services()
    {
        var html = await _host.Anonymous().GetStringAsync(new Uri("/api-reference/", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(html, Does.Contain("\"showDeveloperTools\":\"never\""), "the toolbar with Configure, Share, Generate SDK and Deploy");
            Assert.That(html, Does.Not.Contain("\"_integration\":\"dotnet\""));
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
