using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Workflows.Host.Tests;

/// <summary>
/// Random and mutated JSON bodies through the API's JSON reader: every answer is a success or a 4xx problem, never a
/// 500; an instance the API says it started reads back. A few hundred cases in CI; <c>WORKFLOWS_FUZZ_ITERATIONS</c>
/// runs more (docs/security.md, "Fuzzing").
/// </summary>
[NonParallelizable]
public sealed class InputFuzzTests
{
    private static readonly string[] s_scalars =
    [
        "0", "-1", "0.5", "1e28", "79228162514264337593543950336", "1e300", "1e-300", "1e400", "-0", "true", "false", "null",
        "\"\"", "\"x\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"é中😀\"", "\"" + new string('y', 3000) + "\"", "\"=1+1\"",
    ];

    private static readonly string[] s_names = ["summary", "customerId", "amount", "a", "", "a.b", "é", "\\ud800", "caseId", "x"];

    private static readonly Gen<string> s_scalar = Gen.OneOf(
        Gen.OneOf(s_scalars),
        Gen.Decimal.Select(d => d.ToString(CultureInfo.InvariantCulture)),
        Gen.String.Select(s => JsonSerializer.Serialize(s)));

    private static readonly Gen<string> s_value = Enumerable.Range(0, 4).Aggregate(s_scalar, (inner, _) => Gen.Frequency(
        (3, s_scalar),
        (1, from items in inner.Array[0, 4] select $"[{string.Join(",", items)}]"),
        (1, from members in Gen.Select(Gen.OneOf(s_names), inner).Array[0, 4]
            select "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")));

    private static readonly Gen<string> s_body =
        from variables in Gen.Select(Gen.OneOf(s_names), s_value).Array[0, 5]
        from key in Gen.OneOf("null", "\"k-1\"", "\"\"", "1", "\"" + new string('k', 300) + "\"")
        select "{\"journey\":\"complaint\",\"branch\":\"paris-01\",\"businessKey\":" + key + ",\"variables\":{" + string.Join(",", variables.Select(v => $"\"{v.Item1}\":{v.Item2}")) + "}}";

    private static readonly string[] s_tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "1e999", "null", "\u00e9", "\"variables\":", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["];

    [Test]
    public async Task Random_and_mutated_start_bodies_get_a_success_or_a_4xx_problem_never_a_500()
    {
        await using var host = TestHost.Start();
        var ann = await host.As("ann");
        var mutated = from body in s_body
                      from position in Gen.Int[0, 100_000]
                      from kind in Gen.Int[0, 4]
                      from token in Gen.OneOf(s_tokens)
                      select Mutate(body, position, kind, token);
        var iterations = long.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 400;
        var answers = new Dictionary<HttpStatusCode, int>();

        // CsCheck runs synchronous properties: each case waits for its answer (the in-memory server needs no thread of its own).
        Assert.DoesNotThrow(() => mutated.Sample(body =>
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = ann.PostAsync(new Uri("/api/instances", UriKind.Relative), content).GetAwaiter().GetResult();
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            answers[response.StatusCode] = answers.GetValueOrDefault(response.StatusCode) + 1;
            if ((int)response.StatusCode >= 500)
            {
                throw new InvalidOperationException($"{(int)response.StatusCode} for {body}: {text}");
            }

            if (response.StatusCode == HttpStatusCode.Created)
            {
                var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
                using var read = ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative)).GetAwaiter().GetResult();
                if (read.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"the instance {id} started by {body} reads as {(int)read.StatusCode}");
                }
            }
            else if (!text.Contains("\"status\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{(int)response.StatusCode} without problem details for {body}: {text}");
            }
        }, iter: iterations, threads: 1, print: b => b.Length <= 300 ? b : b[..300]));

        Assert.That(answers.Keys, Does.Contain(HttpStatusCode.Created).And.Contain(HttpStatusCode.BadRequest), $"the cases reached both outcomes: {string.Join(", ", answers)}");
    }

    [Test]
    public async Task No_answer_to_wrong_input_at_any_operation_names_a_dotnet_type_or_gives_the_framework_s_advice()
    {
        await using var host = TestHost.Start();
        var answers = await OperationSweep.RunAsync(host);
        var leaks = new System.Text.RegularExpressions.Regex(@"\b(System|Microsoft|Workflows)\.[A-Z]|Nullable<|`1|Implicit body|Did you mean|LineNumber|BytePositionInLine|reader options|Failed to (bind|read) parameter");

        Assert.That(answers.Where(a => (int)a.Status == 400), Is.Not.Empty);
        using (Assert.EnterMultipleScope())
        {
            foreach (var answer in answers)
            {
                Assert.That((int)answer.Status, Is.LessThan(500), answer.ToString());
                Assert.That(leaks.IsMatch(answer.Text), Is.False, answer.ToString());
            }
        }
    }

    private static string Mutate(string text, int position, int kind, string token)
    {
        var at = text.Length == 0 ? 0 : position % (text.Length + 1);
        return kind switch
        {
            0 => text, // unmutated: a well-formed body
            1 => text.Insert(at, token),
            2 when at < text.Length => text.Remove(at, Math.Min(1 + (position % 7), text.Length - at)),
            3 => text[..at],
            _ => at < text.Length ? text.Remove(at, 1).Insert(at, token[..1]) : text + token,
        };
    }
}
