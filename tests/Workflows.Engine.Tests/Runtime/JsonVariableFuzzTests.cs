using System.Globalization;
using System.Text.Json;
using CsCheck;
using Workflows.Engine.Feel;
using Workflows.Engine.Tests.Feel;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// Random and mutated JSON variables never crash the engine's variable conversion: JSON text is read or refused by
/// the JSON reader (<see cref="JsonException"/>), and what was read starts an instance whose script reads it back,
/// or is refused with <see cref="WorkflowInputException"/> or <see cref="ArgumentException"/> (a number beyond the
/// decimal range); what is stored reads back as it was written; no case runs for long.
/// </summary>
public sealed class JsonVariableFuzzTests
{
    private static readonly string s_process = Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:scriptTask id="copy"><bpmn:extensionElements><zeebe:script expression="=[a, string(b), c]" resultVariable="copied"/></bpmn:extensionElements></bpmn:scriptTask>
        {UserTask("wait")}{Chain("s", "copy", "wait")}
        """);

    private static readonly string[] s_numbers =
    [
        "0", "-0", "1", "-1", "0.1", "1e2", "1E-2", "1e28", "7.9228162514264337593543950335e28", "79228162514264337593543950335",
        "79228162514264337593543950336", "-79228162514264337593543950336", "1e29", "1e300", "1e-300", "1e400", "0.0000000000000000000000000001",
        "0.00000000000000000000000000001", "123456789012345678901234567890.5", "3.14159265358979323846264338327950288",
    ];

    private static readonly string[] s_strings =
    [
        "\"\"", "\"a\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\\"\"", "\"\\\\\"", "\"é中😀\"", "\"2024-02-29\"",
        "\"2024-01-01T00:00:00Z\"", "\"P1D\"", "\"=1+1\"", "\"null\"", "\"" + new string('x', 5000) + "\"",
    ];

    private static readonly string[] s_names = ["a", "b", "c", "", " ", "a.b", "a b", "é", "$", "=", "\\u0000", "null", "items", "a"];

    private static readonly Gen<string> s_scalar = Gen.OneOf(
        Gen.OneOf(s_numbers), Gen.OneOf(s_strings), Gen.OneOf("true", "false", "null"),
        Gen.Decimal.Select(d => d.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Where(d => double.IsFinite(d)).Select(d => d.ToString("R", CultureInfo.InvariantCulture)),
        Gen.String.Select(s => JsonSerializer.Serialize(s)));

    // Built level by level, so that a value nests at most six deep and generation never recurses far.
    private static readonly Gen<string> s_value = Enumerable.Range(0, 6).Aggregate(s_scalar, (inner, _) => Gen.Frequency(
        (3, s_scalar),
        (1, from items in inner.Array[0, 5] select $"[{string.Join(",", items)}]"),
        (1, from members in Gen.Select(Gen.OneOf(s_names), inner).Array[0, 5]
            select "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")));

    private static readonly Gen<string> s_variables =
        from members in Gen.Select(Gen.OneOf(s_names), s_value).Array[0, 6]
        select "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}";

    private static readonly string[] s_tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "1e999", "-", ".", "null", "tru", "/*x*/", "\u0000", "\ud800", "\"a\":", "]]]]]]]]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["];

    [Test]
    public void Random_JSON_variables_start_an_instance_or_are_refused_with_the_documented_exceptions()
    {
        var engine = Engine();
        Assert.DoesNotThrow(() => s_variables.Sample(json => StartSafely(engine, json), iter: Fuzzing.Iterations(1500), threads: 1, print: Fuzzing.Shorten));
    }

    [Test]
    public void Mutated_JSON_variables_are_read_or_refused_by_the_reader_and_never_crash_the_conversion()
    {
        var engine = Engine();
        var mutation = from json in s_variables
                       from position in Gen.Int[0, 100_000]
                       from kind in Gen.Int[0, 3]
                       from token in Gen.OneOf(s_tokens)
                       select Mutate(json, position, kind, token);

        Assert.DoesNotThrow(() => mutation.Sample(json => StartSafely(engine, json), iter: Fuzzing.Iterations(1500), threads: 1, print: Fuzzing.Shorten));
    }

    [Test]
    public void An_escaped_unpaired_surrogate_is_refused_naming_the_variable_and_one_a_script_writes_is_stored_as_a_replacement_character()
    {
        var engine = Engine();
        var variables = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("{\"a\":\"x\\ud800\"}")!;
        var cut = Process("cut", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="cutting"><bpmn:extensionElements><zeebe:script expression="=&quot;x\ud800&quot;" resultVariable="half"/></bpmn:extensionElements></bpmn:scriptTask>
            {UserTask("wait")}{Chain("s", "cutting", "wait")}
            """);
        engine.Deployments.DeployAsync(cut).GetAwaiter().GetResult();

        var refused = Assert.ThrowsAsync<WorkflowInputException>(() => engine.Runtime.StartAsync(new StartInstance("p") { Variables = variables.ToDictionary(p => p.Key, p => (object?)p.Value) }));
        var id = engine.Runtime.StartAsync(new StartInstance("cut")).GetAwaiter().GetResult();
        var stored = engine.Queries.GetInstanceAsync(id).GetAwaiter().GetResult();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.Contain("variable 'a'").And.Contain("unpaired surrogate"));
            Assert.That(stored.Incidents, Is.Empty);
            Assert.That(FeelConvert.ToJson(stored.Variables["half"]), Is.EqualTo("\"x\\uFFFD\""));
        }
    }

    [Test]
    public void A_value_nested_deeper_than_the_reader_allows_is_refused_by_the_reader_not_by_a_stack_overflow()
    {
        var deep = "{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}";

        Assert.That(() => JsonDocument.Parse(deep), Throws.InstanceOf<JsonException>());
    }

    private static WorkflowEngine Engine()
    {
        var engine = new WorkflowEngine(new WorkflowEngineOptions { MaxVariablesBytes = 64 * 1024 });
        engine.Deployments.DeployAsync(s_process).GetAwaiter().GetResult();
        return engine;
    }

    private static void StartSafely(WorkflowEngine engine, string json) => Fuzzing.Timed(json, () =>
    {
        Dictionary<string, JsonElement>? variables;
        try
        {
            // As the API reads a body: UTF-8 bytes (where an unpaired surrogate can only be escaped), System.Text.Json, its default depth limit (64).
            variables = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(System.Text.Encoding.UTF8.GetBytes(json));
        }
        catch (JsonException)
        {
            return; // the reader's refusal: 400 on the API
        }

        if (variables is null)
        {
            return;
        }

        Guid id;
        try
        {
            id = engine.Runtime.StartAsync(new StartInstance("p") { Variables = variables.ToDictionary(p => p.Key, p => (object?)p.Value) })
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is WorkflowInputException or ArgumentException)
        {
            return; // documented: over the size limit, a number beyond decimal
        }

        var instance = engine.Queries.GetInstanceAsync(id).GetAwaiter().GetResult();
        foreach (var (name, value) in variables.Where(v => v.Key is not ("copied")))
        {
            // What was stored reads back as written (numbers as decimals, so compare the engine's own JSON of both).
            Assert.That(FeelConvert.ToJson(instance.Variables[name]), Is.EqualTo(FeelConvert.ToJson(FeelConvert.FromJson(value))), $"variable {name}");
        }
    });

    private static string Mutate(string text, int position, int kind, string token)
    {
        var at = text.Length == 0 ? 0 : position % (text.Length + 1);
        return kind switch
        {
            0 => text.Insert(at, token),
            1 when at < text.Length => text.Remove(at, Math.Min(1 + (position % 7), text.Length - at)),
            2 => text[..at],
            _ => at < text.Length ? text.Remove(at, 1).Insert(at, token[..1]) : text + token,
        };
    }
}
