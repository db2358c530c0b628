using System.Diagnostics;
using System.Globalization;
using System.Text;
using Workflows.Engine;
using Workflows.Engine.Decisions;

namespace Workflows.Bench;

/// <summary>
/// Decision-table evaluation (issue 18): a 50-rule table of three inputs (an amount range, a customer tier, a region),
/// evaluated with inputs that hit every rule in turn, single-threaded: the model alone (<see cref="DecisionModel.Evaluate"/>)
/// under the UNIQUE and FIRST hit policies, and through the engine's deployed-decision path (the branch's pin resolved in
/// the store, the parsed model cached) as <c>engine.Decisions.EvaluateAsync</c>. Reported: evaluations per second, median of the runs.
/// </summary>
internal static class DecisionBenchmark
{
    private const int Rules = 50;
    private static readonly string[] s_tiers = ["bronze", "silver", "gold", "platinum", "staff"];
    private static readonly string[] s_regions = ["north", "south"];

    public static async Task RunAsync(int runs, int evaluations)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {Rules} rules, {evaluations:N0} evaluations per run, {runs} runs, one thread");
        var inputs = Enumerable.Range(0, 1000).Select(Input).ToList();
        var results = new Dictionary<string, List<double>> { ["UNIQUE"] = [], ["FIRST"] = [], ["engine (UNIQUE, deployed)"] = [] };
        var unique = DecisionModel.Read(Table("UNIQUE")).Model!;
        var first = DecisionModel.Read(Table("FIRST")).Model!;
        var engine = new WorkflowEngine(new WorkflowEngineOptions());
        await engine.Deployments.DeployAsync(Table("UNIQUE"));
        CheckEveryRuleHits(unique, inputs);

        for (var run = 0; run < runs; run++)
        {
            results["UNIQUE"].Add(Measure(evaluations, i => unique.Evaluate("discount", inputs[i % inputs.Count])));
            results["FIRST"].Add(Measure(evaluations, i => first.Evaluate("discount", inputs[i % inputs.Count])));
            results["engine (UNIQUE, deployed)"].Add(await MeasureAsync(evaluations, i =>
                engine.Decisions.EvaluateAsync(new EvaluateDecision("discount") { Variables = inputs[i % inputs.Count] })));
        }

        Console.WriteLine("| path | evaluations/s (median) | µs per evaluation | runs |");
        Console.WriteLine("|---|---:|---:|---|");
        foreach (var (path, rates) in results)
        {
            var median = rates.Order().ElementAt(rates.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {path} | {median:N0} | {1e6 / median:N1} | {string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} |"));
        }
    }

    // Rule k covers amounts [k*100, k*100+100) of tier k mod 5 in region k mod 2 (disjoint, so UNIQUE holds).
    private static string Table(string hitPolicy)
    {
        var rules = new StringBuilder();
        for (var k = 0; k < Rules; k++)
        {
            rules.Append(CultureInfo.InvariantCulture, $"""<rule id="r{k}"><inputEntry><text>[{k * 100}..{k * 100 + 100})</text></inputEntry><inputEntry><text>"{s_tiers[k % 5]}"</text></inputEntry><inputEntry><text>"{s_regions[k % 2]}"</text></inputEntry><outputEntry><text>{k % 20}</text></outputEntry></rule>""");
        }

        return $"""
            <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" name="Bench" namespace="urn:bench">
              <decision id="discount" name="Discount"><decisionTable hitPolicy="{hitPolicy}">
                <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
                <input label="Tier"><inputExpression typeRef="string"><text>tier</text></inputExpression></input>
                <input label="Region"><inputExpression typeRef="string"><text>region</text></inputExpression></input>
                <output name="discount" typeRef="number"/>
                {rules}
              </decisionTable></decision>
            </definitions>
            """;
    }

    private static Dictionary<string, object?> Input(int i)
    {
        var k = i % Rules;
        return new Dictionary<string, object?> { ["amount"] = (decimal)(k * 100 + i % 100), ["tier"] = s_tiers[k % 5], ["region"] = s_regions[k % 2] };
    }

    private static void CheckEveryRuleHits(DecisionModel model, List<Dictionary<string, object?>> inputs)
    {
        var hit = inputs.Select(i => model.Evaluate("discount", i)).SelectMany(r => r.Decisions[0].MatchedRules.Select(m => m.RuleId)).ToHashSet();
        if (hit.Count != Rules)
        {
            throw new InvalidOperationException($"the inputs hit {hit.Count} of {Rules} rules");
        }
    }

    private static double Measure(int evaluations, Func<int, DecisionEvaluation> evaluate)
    {
        for (var i = 0; i < 2000; i++)
        {
            _ = evaluate(i);
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < evaluations; i++)
        {
            _ = evaluate(i);
        }

        return evaluations / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureAsync(int evaluations, Func<int, Task<DecisionResult>> evaluate)
    {
        for (var i = 0; i < 2000; i++)
        {
            _ = await evaluate(i);
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < evaluations; i++)
        {
            _ = await evaluate(i);
        }

        return evaluations / clock.Elapsed.TotalSeconds;
    }
}
