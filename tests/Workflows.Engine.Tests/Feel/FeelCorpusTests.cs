using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Feel;

/// <summary>
/// Every entry of Corpus/feel-corpus.json, whose expected results the reference implementation feelin
/// produced (Corpus/generate.mjs regenerates it), evaluates to the same value here.
/// </summary>
public sealed class FeelCorpusTests
{
    private static readonly FakeTimeProvider s_clock = new(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));

    public static IEnumerable<TestCaseData> Entries()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Feel", "Corpus", "feel-corpus.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var number = 0;
        foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
        {
            var expression = entry.GetProperty("expression").GetString()!;
            number++;
            yield return new TestCaseData(expression, entry.GetProperty("context").GetRawText(), entry.GetProperty("expected").GetRawText())
                .SetName($"FEEL corpus {number:000}");
        }
    }

    [Test]
    public void The_corpus_has_at_least_300_entries() =>
        Assert.That(Entries().Count(), Is.GreaterThanOrEqualTo(300));

    [TestCaseSource(nameof(Entries))]
    public void Evaluates_as_the_reference_implementation_does(string expression, string contextJson, string expectedJson)
    {
        using var context = JsonDocument.Parse(contextJson);
        using var expected = JsonDocument.Parse(expectedJson);
        var variables = (FeelContext)FeelConvert.FromJson(context.RootElement)!;

        var result = FeelInterpreter.Evaluate(expression, variables.ToDictionary(p => p.Key, p => p.Value), s_clock);

        var want = Expected(expected.RootElement);
        Assert.That(Same(want, result.Value), Is.True,
            $"expected {FeelValue.ToDisplayString(want)} ({FeelValue.TypeName(want)}), got {FeelValue.ToDisplayString(result.Value)} ({FeelValue.TypeName(result.Value)}); warnings: {string.Join("; ", result.Warnings)}");
    }

    private static object? Expected(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.Array)
        {
            return json.EnumerateArray().Select(Expected).ToList();
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            return FeelConvert.FromJson(json);
        }

        var type = json.GetProperty("$type").GetString();
        if (type == "range")
        {
            return new FeelRange(Expected(json.GetProperty("start")), json.GetProperty("startIncluded").GetBoolean(), Expected(json.GetProperty("end")), json.GetProperty("endIncluded").GetBoolean());
        }

        var value = json.GetProperty("value");
        return type switch
        {
            "context" => ContextOf(value),
            "date" => FeelBuiltins.ParseDate(value.GetString()!),
            "time" => FeelBuiltins.ParseTime(value.GetString()!),
            "date and time" => FeelBuiltins.ParseDateTime(value.GetString()!),
            "duration" => FeelBuiltins.ParseDuration(value.GetString()!),
            _ => throw new InvalidOperationException($"unknown type {type}"),
        };
    }

    private static FeelContext ContextOf(JsonElement value)
    {
        var context = new FeelContext();
        foreach (var property in value.EnumerateObject())
        {
            context[property.Name] = Expected(property.Value);
        }

        return context;
    }

    // feelin computes in doubles, the engine in decimals: numbers agree within a relative 1e-9.
    private static bool Same(object? expected, object? actual)
    {
        switch (expected, actual)
        {
            case (null, null):
                return true;
            case (decimal e, decimal a):
                return e == a || Math.Abs(e - a) <= Math.Max(1e-9m, Math.Abs(e) * 1e-9m);
            case (List<object?> e, List<object?> a):
                return e.Count == a.Count && e.Zip(a).All(p => Same(p.First, p.Second));
            case (FeelContext e, FeelContext a):
                return e.Count == a.Count && e.All(p => a.ContainsKey(p.Key) && Same(p.Value, a[p.Key]));
            case (FeelRange e, FeelRange a):
                return Same(e.Start, a.Start) && Same(e.End, a.End) && e.StartIncluded == a.StartIncluded && e.EndIncluded == a.EndIncluded;
            default:
                return FeelValue.TypeName(expected) == FeelValue.TypeName(actual) && FeelValue.AreEqual(expected, actual) == true;
        }
    }
}
