using System.Security;
using System.Text.Json;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// What a form may not be (review17 F1, F5, F6): keyed by a variable the engine sets alone, keyed as form-js refuses,
/// holding active markup, or a way to buy seconds of CPU with the patterns of one completion.
/// </summary>
public sealed class CamundaFormGuardTests
{
    private static string Model(string form) => Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="t" name="Form">
          <bpmn:extensionElements><zeebe:formDefinition formKey="camunda-forms:bpmn:f"/></bpmn:extensionElements>
        </bpmn:userTask>
        {UserTask("next")}
        {Chain("s", "t", "next")}
        """, extensions: $"""<bpmn:extensionElements><zeebe:userTaskForm id="f">{SecurityElement.Escape(form)}</zeebe:userTaskForm></bpmn:extensionElements>""");

    private static string Form(params object[] components) => JsonSerializer.Serialize(new { id = "guarded", components });

    private static object Field(string key, string type = "textfield") => new { type, key, label = key };

    private static async Task<IReadOnlyList<ValidationFinding>> FindingsAsync(string model) => (await new WorkflowEngine().Deployments.ValidateAsync(model)).Findings;

    [Test]
    public async Task A_field_keyed_by_a_variable_the_engine_sets_alone_is_refused_at_deploy_unless_it_is_only_shown()
    {
        var camunda = await FindingsAsync(Model(Form(Field("branch"), Field("customerId"),
            new { type = "group", path = "caseId", components = new[] { Field("part") } },
            new { type = "textfield", key = "calendar", label = "Calendar", disabled = true })));
        var own = await FindingsAsync(Process("w", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:form><wf:field id="handoff"/><wf:field id="amount" type="number"/></wf:form></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "t")}
            """));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(camunda.Where(f => f.Code == "FORM_FIELD_INVALID").Select(f => (f.ElementId, f.Severity)), Is.EqualTo(new[] { ("t", FindingSeverity.Error), ("t", FindingSeverity.Error) }));
            Assert.That(camunda.Where(f => f.Code == "FORM_FIELD_INVALID").Select(f => f.Message),
                Has.Some.StartsWith("form field 'branch' sets the variable 'branch', which the engine sets alone")
                .And.Some.StartsWith("form field 'caseId.part' sets the variable 'caseId'"));
            Assert.That(camunda.Select(f => f.Message), Has.None.Contains("'calendar'").And.None.Contains("'customerId'"), "a disabled field is never submitted; customerId is the form's to ask");
            Assert.That(own.Single(f => f.Code == "FORM_FIELD_INVALID").Message, Does.StartWith("form field 'handoff' sets the variable 'handoff'"));
        }
    }

    [Test]
    public async Task A_component_that_sends_a_value_no_completion_may_set_is_refused_at_deploy()
    {
        // form-js sends an expression's result and a file picker's files with the form: a completion carrying them is
        // refused every time, so such a form would leave its task stuck; a dynamic list sends its rows under its path.
        var findings = await FindingsAsync(Model(Form(Field("price", "number"),
            new { type = "expression", key = "total", expression = "=price * 1.2", computeOn = "change" },
            new { type = "filepicker", key = "attachment", label = "Attachment" })));
        var lists = await FindingsAsync(Model(Form(Field("price", "number"),
            new { type = "dynamiclist", path = "calendar", components = new[] { Field("day") } },
            new { type = "dynamiclist", path = "items", components = new[] { Field("name") } })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message),
                Has.Some.Contains("the expression component 'total' computes a value").And.Some.Contains("the filepicker component 'attachment'"));
            Assert.That(lists.Where(f => f.Code == "FORM_FIELD_INVALID").Select(f => f.Message),
                Is.EqualTo(new[] { "form field 'calendar' sets the variable 'calendar', which the engine sets alone (branch, branchSettings, calendar, caseId, handoff): a completion setting it is refused, and the page fills it from the case; give the field another key, or make it disabled to only show the value" }));
        }
    }

    [Test]
    public async Task A_frame_or_an_image_from_another_site_which_the_pages_cannot_show_is_refused_at_deploy()
    {
        var findings = await FindingsAsync(Model(Form(Field("name"),
            new { type = "iframe", id = "frame", url = "https://example.org/" },
            new { type = "image", id = "pixel", source = "https://example.org/pixel.png" },
            new { type = "image", id = "local", source = "/favicon.ico" },
            new { type = "image", id = "inline", source = "data:image/png;base64,iVBORw0KGgo=" },
            new { type = "image", id = "computed", source = "=logo" })));

        Assert.That(findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message), Is.EqualTo(new[]
        {
            "the form 'f': the iframe component 'frame' shows another site's page, which the pages do not frame: link to it from a text component instead",
            "the form 'f': the image component 'pixel' loads 'https://example.org/pixel.png', which the pages do not load (images from the host or data:image addresses only)",
        }));
    }

    [Test]
    public async Task A_key_or_path_form_js_refuses_and_overlapping_keys_are_refused_at_deploy()
    {
        var findings = await FindingsAsync(Model(Form(Field("__proto__"), Field("first-name"), Field("a.0"), Field("ok_1.inner"),
            new { type = "group", path = "constructor", components = new[] { Field("x") } },
            Field("visit"), new { type = "group", path = "visit", components = new[] { Field("day") } })));
        var own = await FindingsAsync(Process("w", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:form><wf:field id="__proto__"/></wf:form></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "t")}
            """));
        var invalid = findings.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(invalid, Has.Some.Contains("field '__proto__': the key has a prohibited segment (__proto__, prototype, constructor)"));
            Assert.That(invalid, Has.Some.Contains("field 'first-name': the key is not a variable name or a dotted path"));
            Assert.That(invalid, Has.Some.Contains("field 'a.0': the key has a segment of digits only"));
            Assert.That(invalid, Has.Some.Contains("the group path 'constructor' has a prohibited segment"));
            Assert.That(invalid, Has.Some.Contains("'visit' is bound twice"));
            Assert.That(invalid, Has.None.Contains("ok_1.inner"));
            Assert.That(own.Single(f => f.Code == "FORM_FIELD_INVALID").Message, Does.Contain("'__proto__' has a name the pages cannot hold"));
        }
    }

    [Test]
    public async Task Active_markup_in_a_text_or_html_component_is_refused_at_deploy_and_plain_content_passes()
    {
        var hostile = await FindingsAsync(Model(Form(
            new { type = "html", id = "h1", content = "<p>Hi</p><img src=x onerror=alert(3)>" },
            new { type = "html", id = "h2", content = "<script>alert(1)</script>" },
            new { type = "text", id = "t1", text = "[click](javascript:alert(2))" },
            new { type = "text", id = "t2", text = "<img/onload=alert(6) src=x>" },
            Field("name"))));
        var plain = await FindingsAsync(Model(Form(
            new { type = "html", content = "<h2>Before you start</h2><p>Read <a href=\"https://example.com/terms\">the terms</a>; one = one, <b>bold</b>.</p><style>p { color: red }</style>" },
            new { type = "text", text = "# Title\n> quoted, one is not on=\n\n**{{ name }}**, see [help](https://example.com)" },
            Field("name"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hostile.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message), Is.EquivalentTo(new[]
            {
                "the form 'f': the html component 'h1' holds an event handler (onerror=): a form shows text, images and links only",
                "the form 'f': the html component 'h2' holds a <script> element: a form shows text, images and links only",
                "the form 'f': the text component 't1' holds a javascript: or vbscript: address: a form shows text, images and links only",
                "the form 'f': the text component 't2' holds an event handler (onload=): a form shows text, images and links only",
            }));
            Assert.That(plain.Where(f => f.Severity == FindingSeverity.Error), Is.Empty);
        }
    }

    [Test]
    public async Task A_form_with_more_patterned_fields_than_the_limit_is_refused_at_deploy()
    {
        var findings = await FindingsAsync(Model(Form([.. Enumerable.Range(0, 51).Select(i => (object)new { type = "textfield", key = $"f{i}", validate = new { pattern = "^[a-z]+$" } })])));

        Assert.That(findings.Single(f => f.Code == "FORM_INVALID").Message, Does.Contain("the form has 51 fields with a pattern; the limit is 50"));
    }

    [Test]
    public async Task Nested_quantifiers_cost_a_completion_what_a_plain_pattern_does()
    {
        var (_, _, error) = await RefusedAsync("^(a+)+$");

        // Backtracking, each field would spend its 100 ms and the completion's shared 250 ms would run out by the third:
        // every one of the 30 fields checked to its answer shows that none backtracked.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.FieldRules.Values, Is.EqualTo(Enumerable.Repeat("pattern", 30)));
            Assert.That(error.FieldErrors.Values, Is.EqualTo(Enumerable.Range(0, 30).Select(i => $"f{i} must match the pattern ^(a+)+$")));
        }
    }

    [Test]
    public async Task The_patterns_of_one_completion_share_one_time_budget()
    {
        // A lookahead runs with backtracking: each field would take its whole 100 ms on this text.
        var (h, task, error) = await RefusedAsync("^(?=a)(a+)+$");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.FieldRules.Values, Is.EqualTo(Enumerable.Repeat("pattern", 30)));
            Assert.That(error.FieldErrors["f29"], Is.EqualTo("f29 could not be checked against the pattern ^(?=a)(a+)+$ in time"));
        }

        await h.Engine.Tasks.CompleteAsync(task, Vars([.. Enumerable.Range(0, 30).Select(i => ($"f{i}", (object?)"aaa"))]));
    }

    [Test]
    public async Task A_script_address_spelled_with_character_references_or_controls_is_refused_as_the_plain_one()
    {
        var hostile = await FindingsAsync(Model(Form(
            new { type = "html", id = "h1", content = "<a href=\"jav&#x61;script:alert(1)\">x</a>" },
            new { type = "html", id = "h2", content = "<a href=\"javascript&colon;alert(1)\">x</a>" },
            new { type = "text", id = "t1", text = "[x](java\tscript:alert(1))" },
            new { type = "text", id = "t2", text = "<a href=\"&#118;bscript&#58;x\">x</a>" },
            Field("name"))));
        var plain = await FindingsAsync(Model(Form(new { type = "text", text = "Java &amp; script: two words, &#x61; letter" }, Field("name"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hostile.Where(f => f.Code == "FORM_INVALID").Select(f => f.Message).ToList(), Has.Count.EqualTo(4)
                .And.All.Contains("holds a javascript: or vbscript: address"));
            Assert.That(plain.Where(f => f.Severity == FindingSeverity.Error), Is.Empty);
        }
    }

    [TestCase("^[0-9]{5}$", "12345\n", TestName = "A pattern's $ is the end of the text, not before a final newline")]
    [TestCase("^\\d{4}$", "\u0661\u0662\u0663\u0664", TestName = "A pattern's \\d takes ASCII digits only (Arabic-Indic refused)")]
    [TestCase("^\\d{4}$", "\uFF11\uFF12\uFF13\uFF14", TestName = "A pattern's \\d takes ASCII digits only (full-width refused)")]
    [TestCase("^\\w+$", "caf\u00E9", TestName = "A pattern's \\w takes ASCII letters only")]
    [TestCase("^a.b$", "a\rb", TestName = "A pattern's dot does not take a carriage return")]
    public async Task A_value_the_browser_refuses_under_a_pattern_is_refused_by_the_server(string pattern, string value)
    {
        var (h, task) = await StartAsync(pattern, fields: 1);
        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task, Vars(("f0", value))));
        Assert.That(error!.FieldRules, Is.EqualTo(new Dictionary<string, string> { ["f0"] = "pattern" }));
    }

    [TestCase("^[0-9]{5}$", "12345")]
    [TestCase("^\\d{4}$", "1234")]
    [TestCase("^[\\d-]+$", "12-34")]
    [TestCase("^\\$\\d+\\.\\d{2}$", "$12.50")]
    [TestCase("^[^$]+$", "no dollar")]
    public async Task A_value_the_browser_accepts_under_a_pattern_is_accepted_by_the_server(string pattern, string value)
    {
        var (h, task) = await StartAsync(pattern, fields: 1);
        Assert.DoesNotThrowAsync(async () => await h.Engine.Tasks.CompleteAsync(task, Vars(("f0", value))));
    }

    /// <summary>A task whose 30 fields have <paramref name="pattern"/>, completed with texts it backtracks on: the refusal.</summary>
    private static async Task<(ProcessTestHarness H, Guid Task, TaskFormException Error)> RefusedAsync(string pattern)
    {
        var (h, task) = await StartAsync(pattern);
        var values = Enumerable.Range(0, 30).Select(i => ($"f{i}", (object?)(new string('a', 40) + "!"))).ToArray();
        var error = Assert.ThrowsAsync<TaskFormException>(async () => await h.Engine.Tasks.CompleteAsync(task, Vars(values)));
        return (h, task, error!);
    }

    private static async Task<(ProcessTestHarness H, Guid Task)> StartAsync(string pattern, int fields = 30)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Model(Form([.. Enumerable.Range(0, fields).Select(i => (object)new { type = "textfield", key = $"f{i}", label = $"f{i}", validate = new { pattern } })])));
        var instance = await h.StartAsync("p");
        return (h, (await instance.UserTasksAsync()).Single().Id);
    }
}
